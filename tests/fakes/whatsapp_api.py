"""A fake Graph API for WhatsApp sends on 127.0.0.1: records requests, answers as told."""

from __future__ import annotations

import asyncio
import itertools
import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

TOKEN = "test-access-token"


@dataclass(frozen=True, slots=True)
class Received:
    """One request the fake API got."""

    path: str
    authorization: str
    body: dict[str, Any]


@dataclass(slots=True)
class Scripted:
    """One answer to give instead of success: a status and body, or a stall."""

    status: int = 200
    body: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    stall: bool = False


def graph_error(code: int, message: str, status: int = 400) -> Scripted:
    """A Graph API error answer as Meta shapes it."""
    return Scripted(status, {"error": {
        "message": message, "type": "OAuthException", "code": code,
        "error_data": {"messaging_product": "whatsapp", "details": message},
        "fbtrace_id": "AbCdEf012345",
    }})


class FakeGraphApi:
    """POST /{version}/{phone_number_id}/messages, checking the bearer token."""

    def __init__(self) -> None:
        self.received: list[Received] = []  # messages sent (read receipts are kept apart)
        self.marked_read: list[str] = []  # the wamids marked read, in order
        self.script: list[Scripted] = []
        self.url = ""
        self._ids = itertools.count(1)
        self._changed = asyncio.Condition()
        self._release = asyncio.Event()
        self._runner: web.AppRunner | None = None

    async def start(self) -> str:
        """Serve on 127.0.0.1 with an OS-assigned port; returns the base URL."""
        app = web.Application()
        app.router.add_post("/{version}/{phone_number_id}/messages", self._messages)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    async def close(self) -> None:
        """Stop serving (releasing any stalled request)."""
        self._release.set()
        if self._runner is not None:
            await self._runner.cleanup()

    def release(self) -> None:
        """Let stalled requests finish."""
        self._release.set()

    async def wait_for(self, count: int, timeout: float = 5.0) -> list[Received]:
        """Wait until at least `count` requests arrived."""
        async def arrived() -> None:
            async with self._changed:
                await self._changed.wait_for(lambda: len(self.received) >= count)

        await asyncio.wait_for(arrived(), timeout)
        return list(self.received)

    async def _messages(self, request: web.Request) -> web.Response:
        body = json.loads(await request.read())
        if body.get("status") == "read":
            return await self._mark_read(request, body)
        received = Received(request.path, request.headers.get("Authorization", ""), body)
        async with self._changed:
            self.received.append(received)
            self._changed.notify_all()
        if received.authorization != f"Bearer {TOKEN}":
            answer = graph_error(190, "Invalid OAuth access token.", 401)
        elif self.script:
            answer = self.script.pop(0)
        else:
            answer = Scripted(200, {
                "messaging_product": "whatsapp",
                "contacts": [{"input": body.get("to", ""), "wa_id": body.get("to", "")}],
                "messages": [{"id": f"wamid.out.{next(self._ids)}"}],
            })
        if answer.stall:
            await self._release.wait()
        return web.json_response(answer.body, status=answer.status, headers=answer.headers)

    async def _mark_read(self, request: web.Request, body: dict[str, Any]) -> web.Response:
        """A read receipt: {"messaging_product", "status": "read", "message_id"} only."""
        if request.headers.get("Authorization", "") != f"Bearer {TOKEN}":
            answer = graph_error(190, "Invalid OAuth access token.", 401)
            return web.json_response(answer.body, status=answer.status)
        if set(body) != {"messaging_product", "status", "message_id"} or not str(
            body["message_id"]
        ).startswith("wamid."):
            answer = graph_error(100, "Invalid parameter")
            return web.json_response(answer.body, status=answer.status)
        async with self._changed:
            self.marked_read.append(str(body["message_id"]))
            self._changed.notify_all()
        return web.json_response({"success": True})

    async def wait_for_read(self, count: int, timeout: float = 5.0) -> list[str]:
        """Wait until at least `count` messages were marked read."""
        async def arrived() -> None:
            async with self._changed:
                await self._changed.wait_for(lambda: len(self.marked_read) >= count)

        await asyncio.wait_for(arrived(), timeout)
        return list(self.marked_read)
