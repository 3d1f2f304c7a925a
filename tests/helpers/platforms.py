"""The three platform APIs as fakes on 127.0.0.1, each behind a link that can fail or hang.

A server under test (in this process or a child one) is pointed at the links. A link passes
calls through to its fake, or answers 5xx itself, or holds them without an answer: what the
fake recorded is then exactly what the platform took, one row per send.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp import web

from bot.adapters.whatsapp.notice import read_receipt
from tests.adapters.whatsapp.helpers import ENV as WHATSAPP_ENV
from tests.adapters.whatsapp.helpers import settings_table as whatsapp_table
from tests.fakes.telegram_api import SECRET as TELEGRAM_SECRET
from tests.fakes.telegram_api import TOKEN as TELEGRAM_TOKEN
from tests.fakes.telegram_api import FakeTelegramApi
from tests.fakes.wechat_api import FakeWeChatApi
from tests.fakes.whatsapp_api import FakeGraphApi
from tests.helpers.wechat import APP_ID, APP_SECRET, platform_table
from tests.helpers.wechat import ENV as WECHAT_ENV

PLATFORMS = ("telegram", "whatsapp", "wechat")
ENV = {**WHATSAPP_ENV, **WECHAT_ENV, "TG_TOKEN": TELEGRAM_TOKEN, "TG_SECRET": TELEGRAM_SECRET}


class FaultyLink:
    """A loopback HTTP hop to an upstream fake that is up, failing (5xx) or hanging."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.url = ""
        self.failing: int | None = None  # the status every call gets, or None
        self.hanging = False
        self.latency = 0.0  # seconds between the fake taking a call and its answer arriving
        self.refused = 0  # calls answered 5xx by the link
        self.held = 0  # calls held without an answer
        self.passed = 0
        self._healed = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None

    def fail(self, status: int = 503) -> None:
        """Answer every call with `status` until healed."""
        self.failing = status

    def hang(self) -> None:
        """Hold every call without an answer until healed (the caller times out)."""
        self.hanging = True
        self._healed.clear()

    def heal(self) -> None:
        """Pass calls through again."""
        self.failing = None
        self.hanging = False
        self._healed.set()

    async def start(self) -> str:
        """Listen on an OS-assigned loopback port; returns the URL to give the bot."""
        self._session = aiohttp.ClientSession()
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._forward)
        # A held call whose caller gave up is cancelled, so it never reaches the fake late.
        self._runner = web.AppRunner(app, handler_cancellation=True)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"
        return self.url

    async def close(self) -> None:
        """Stop listening."""
        self._healed.set()
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()

    async def _forward(self, request: web.Request) -> web.Response:
        body = await request.read()
        if self.hanging:
            self.held += 1
            await self._healed.wait()
            # A hung platform never took the call, whenever its caller gave up on it.
            return web.json_response({"ok": False, "error": "hung"}, status=504)
        if self.failing is not None:
            self.refused += 1
            return web.json_response({"ok": False, "error": "link down"}, status=self.failing)
        self.passed += 1
        assert self._session is not None
        headers = {key: value for key, value in request.headers.items()
                   if key.lower() in ("content-type", "authorization")}
        async with self._session.request(
            request.method, self.upstream + request.path_qs, data=body, headers=headers
        ) as answer:
            taken = web.Response(
                status=answer.status, body=await answer.read(),
                content_type=answer.content_type,
            )
        if self.latency:
            # Taken already: a caller killed meanwhile never learns it, and sends it again.
            await asyncio.sleep(self.latency)
        return taken


@dataclass(frozen=True, slots=True)
class Send:
    """One send a platform accepted: the chat it went to and the body as posted."""

    platform: str
    chat_id: str
    body: str  # canonical JSON, comparable with an outbox row's body

    @staticmethod
    def of(platform: str, chat_id: Any, body: Mapping[str, Any]) -> Send:
        """Normalise a recorded call."""
        return Send(platform, str(chat_id), canonical(body))


READ_RECEIPT = "(read receipt)"  # the chat a read receipt's Send stands in


def chat_of(platform: str, chat_id: str, body: Mapping[str, Any]) -> str:
    """The chat a send to `chat_id` is counted under (read receipts name no chat)."""
    return READ_RECEIPT if platform == "whatsapp" and body.get("status") == "read" else chat_id


def canonical(body: Mapping[str, Any]) -> str:
    """A body as one comparable string."""
    return json.dumps(body, ensure_ascii=False, sort_keys=True)


class FakePlatforms:
    """Telegram, WhatsApp and WeChat fakes, their links, and the config that points at them."""

    def __init__(self) -> None:
        self.telegram = FakeTelegramApi()
        self.whatsapp = FakeGraphApi()
        self.wechat = FakeWeChatApi(APP_ID, APP_SECRET)
        self.links: dict[str, FaultyLink] = {}

    async def start(self) -> None:
        """Start the fakes and a link in front of each."""
        upstreams = {
            "telegram": await self.telegram.start(),
            "whatsapp": await self.whatsapp.start(),
            "wechat": await self.wechat.start(),
        }
        for name, upstream in upstreams.items():
            self.links[name] = FaultyLink(upstream)
            await self.links[name].start()

    async def close(self) -> None:
        """Stop the links, then the fakes."""
        for link in self.links.values():
            await link.close()
        await self.telegram.close()
        await self.whatsapp.close()
        await self.wechat.close()

    def tables(self, wechat: dict[str, Any] | None = None) -> dict[str, Any]:
        """`[platforms]` for a server sending through the links (WeChat in safe mode)."""
        return {
            "telegram": {"enabled": True, "token_env": "TG_TOKEN", "secret_token_env": "TG_SECRET",
                         "api_base_url": self.links["telegram"].url,
                         "bot_username": "cloudleaf_bot"},
            "whatsapp": whatsapp_table(self.links["whatsapp"].url),
            "wechat": platform_table("safe", self.links["wechat"].url, **(wechat or {})),
        }

    def sends(self, platform: str | None = None) -> list[Send]:
        """Every send the platforms accepted, in the order they took them."""
        found: list[Send] = []
        if platform in (None, "telegram"):
            found += [Send.of("telegram", params["chat_id"], params)
                      for params in self.telegram.delivered]
        if platform in (None, "whatsapp"):
            found += [Send.of("whatsapp", received.body.get("to"), received.body)
                      for received in self.whatsapp.received]
            # A read receipt names the customer's message, not the chat it was in.
            found += [Send.of("whatsapp", READ_RECEIPT, read_receipt(wamid))
                      for wamid in self.whatsapp.marked_read]
        if platform in (None, "wechat"):
            found += [Send.of("wechat", body.get("touser"), body)
                      for body in self.wechat.delivered]
        return found
