"""A fake platform send API on 127.0.0.1: records every request, answers as scripted."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass
class Step:
    """One scripted answer: a status, a JSON body, headers, or a stall of some seconds."""

    status: int = 200
    body: Any = field(default_factory=lambda: {"ok": True})
    headers: dict[str, str] = field(default_factory=dict)
    stall: float = 0.0


class FakePlatformApi:
    """Serves POST /<anything>; each request takes the next scripted step (then 200 OK)."""

    def __init__(self) -> None:
        self.script: list[Step] = []
        self.requests: list[dict[str, Any]] = []
        self.delivered: list[dict[str, Any]] = []
        self.runner: web.AppRunner | None = None
        self.url = ""
        self.received = asyncio.Event()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        data = json.loads(body) if body else None
        self.requests.append({"path": request.path, "json": data})
        step = self.script.pop(0) if self.script else Step()
        if step.stall:
            await asyncio.sleep(step.stall)
            if request.transport is None or request.transport.is_closing():
                # The sender gave up (its timeout) and will try again: not delivered.
                return web.Response(status=499)
        if 200 <= step.status < 300:
            self.delivered.append({"path": request.path, "json": data})
            self.received.set()
        return web.json_response(step.body, status=step.status, headers=step.headers)

    async def start(self) -> str:
        """Listen on an OS-assigned loopback port; returns the base URL."""
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    async def stop(self) -> None:
        """Stop listening."""
        if self.runner is not None:
            await self.runner.cleanup()
