"""A fake WeChat API on 127.0.0.1: the token endpoint and customer-service sends, recorded."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass
class SendAttempt:
    """One call to /cgi-bin/message/custom/send and what the fake answered."""

    access_token: str
    body: dict[str, Any]
    content_type: str
    answer: dict[str, Any] | int


@dataclass
class FakeWeChatApi:
    """Issues tokens token-1, token-2 …; accepts sends with a valid, unexpired token."""

    app_id: str
    app_secret: str
    token_requests: int = 0
    valid_tokens: set[str] = field(default_factory=set)
    expired_tokens: set[str] = field(default_factory=set)
    attempts: list[SendAttempt] = field(default_factory=list)
    planned: list[dict[str, Any] | int] = field(default_factory=list)  # errcode bodies or HTTP
    stall: asyncio.Event | None = None  # when set, sends wait for it before answering
    qr_requests: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    planned_qr: list[dict[str, Any] | int] = field(default_factory=list)
    url: str = ""
    _runner: web.AppRunner | None = None
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)

    @property
    def delivered(self) -> list[dict[str, Any]]:
        """The bodies of the sends WeChat accepted."""
        return [attempt.body for attempt in self.attempts if attempt.answer == {"errcode": 0,
                                                                               "errmsg": "ok"}]

    async def start(self) -> str:
        """Serve on an OS-assigned loopback port; returns the base URL."""
        app = web.Application()
        app.router.add_get("/cgi-bin/token", self._token)
        app.router.add_post("/cgi-bin/message/custom/send", self._send)
        app.router.add_post("/cgi-bin/qrcode/create", self._qrcode)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    async def close(self) -> None:
        """Stop serving."""
        if self.stall is not None:
            self.stall.set()
        if self._runner is not None:
            await self._runner.cleanup()

    async def wait_for_delivered(self, count: int, timeout: float = 10.0) -> None:
        """Wait until at least `count` sends were accepted."""
        async with self._changed:
            await asyncio.wait_for(
                self._changed.wait_for(lambda: len(self.delivered) >= count), timeout
            )

    async def wait_for_attempts(self, count: int, timeout: float = 10.0) -> None:
        """Wait until at least `count` sends were answered, whatever the answer."""
        async with self._changed:
            await asyncio.wait_for(
                self._changed.wait_for(lambda: len(self.attempts) >= count), timeout
            )

    async def _token(self, request: web.Request) -> web.Response:
        query = request.query
        if (query.get("grant_type") != "client_credential" or query.get("appid") != self.app_id
                or query.get("secret") != self.app_secret):
            return web.json_response({"errcode": 40125, "errmsg": "invalid appsecret"})
        self.token_requests += 1
        token = f"token-{self.token_requests}"
        self.valid_tokens.add(token)
        return web.json_response({"access_token": token, "expires_in": 7200})

    async def _send(self, request: web.Request) -> web.Response:
        if self.stall is not None:
            await self.stall.wait()
        token = request.query.get("access_token", "")
        raw = await request.read()
        body = json.loads(raw.decode("utf-8"))
        answer: dict[str, Any] | int
        if token in self.expired_tokens:
            answer = {"errcode": 42001, "errmsg": "access_token expired"}
        elif token not in self.valid_tokens:
            answer = {"errcode": 40001, "errmsg": "invalid credential"}
        elif self.planned:
            answer = self.planned.pop(0)
        else:
            answer = {"errcode": 0, "errmsg": "ok"}
        self.attempts.append(
            SendAttempt(token, body, request.headers.get("Content-Type", ""), answer)
        )
        async with self._changed:
            self._changed.notify_all()
        if isinstance(answer, int):
            return web.json_response({"errcode": -1, "errmsg": "system error"}, status=answer)
        return web.json_response(answer)

    async def _qrcode(self, request: web.Request) -> web.Response:
        """Permanent string-scene QR codes; the ticket has characters that need URL-encoding."""
        token = request.query.get("access_token", "")
        body = json.loads((await request.read()).decode("utf-8"))
        self.qr_requests.append((token, body))
        if token not in self.valid_tokens or token in self.expired_tokens:
            return web.json_response({"errcode": 40001, "errmsg": "invalid credential"})
        if self.planned_qr:
            answer = self.planned_qr.pop(0)
            if isinstance(answer, int):
                return web.json_response({"errcode": -1, "errmsg": "system error"},
                                         status=answer)
            return web.json_response(answer)
        scene = body["action_info"]["scene"]["scene_str"]
        return web.json_response({
            "ticket": f"gQH47joAAAAAAAAAASxodHRw+{scene}/==",
            "url": f"http://weixin.qq.com/q/{scene}",
        })
