"""A fake WeChat API on 127.0.0.1: tokens, customer-service sends (or, for an account without
that API, 48001), template messages, subscribe notifications, the custom menu and temporary
media uploads; every call recorded."""

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
    # An unverified subscription account: customer-service sends answer 48001.
    refuse_customer_service: bool = False
    notices: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (path, body)
    planned_notices: list[dict[str, Any]] = field(default_factory=list)
    menu: dict[str, Any] | None = None
    menu_calls: list[tuple[str, dict[str, Any] | None]] = field(default_factory=list)
    uploads: list[tuple[str, str, bytes]] = field(default_factory=list)  # type, filename, bytes
    files: dict[str, bytes] = field(default_factory=dict)  # GET /files/<name>: images to fetch
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
        app.router.add_post("/cgi-bin/message/template/send", self._notice)
        app.router.add_post("/cgi-bin/message/subscribe/bizsend", self._notice)
        app.router.add_post("/cgi-bin/menu/create", self._menu_create)
        app.router.add_get("/cgi-bin/menu/get", self._menu_get)
        app.router.add_get("/cgi-bin/menu/delete", self._menu_delete)
        app.router.add_post("/cgi-bin/media/upload", self._upload)
        app.router.add_get("/files/{name}", self._file)
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
        elif self.refuse_customer_service:
            answer = {"errcode": 48001, "errmsg": "api unauthorized rid: 6a1f0c2b-5e3d7a90-1b2c"}
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

    def _refused(self, request: web.Request) -> web.Response | None:
        token = request.query.get("access_token", "")
        if token not in self.valid_tokens or token in self.expired_tokens:
            return web.json_response({"errcode": 40001, "errmsg": "invalid credential"})
        return None

    async def _changed_now(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def _notice(self, request: web.Request) -> web.Response:
        """Template messages and subscribe notifications: data values must be {"value": …}."""
        refused = self._refused(request)
        body = json.loads((await request.read()).decode("utf-8"))
        if refused is not None:
            return refused
        self.notices.append((request.path, body))
        await self._changed_now()
        if self.planned_notices:
            return web.json_response(self.planned_notices.pop(0))
        data = body.get("data")
        if not body.get("touser") or not body.get("template_id") or not isinstance(data, dict) \
                or not all(isinstance(v, dict) and "value" in v for v in data.values()):
            return web.json_response({"errcode": 47003, "errmsg": "argument invalid!"})
        return web.json_response({"errcode": 0, "errmsg": "ok", "msgid": 200228332})

    async def _menu_create(self, request: web.Request) -> web.Response:
        refused = self._refused(request)
        body = json.loads((await request.read()).decode("utf-8"))
        self.menu_calls.append(("create", body))
        if refused is not None:
            return refused
        buttons = body.get("button")
        if not isinstance(buttons, list) or not 1 <= len(buttons) <= 3:
            return web.json_response({"errcode": 40016, "errmsg": "invalid button size"})
        self.menu = {"button": [{**button, "sub_button": button.get("sub_button", [])}
                                for button in buttons]}
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    async def _menu_get(self, request: web.Request) -> web.Response:
        refused = self._refused(request)
        self.menu_calls.append(("get", None))
        if refused is not None:
            return refused
        if self.menu is None:
            return web.json_response({"errcode": 46003, "errmsg": "menu no exist"})
        return web.json_response({"menu": self.menu})

    async def _menu_delete(self, request: web.Request) -> web.Response:
        refused = self._refused(request)
        self.menu_calls.append(("delete", None))
        if refused is not None:
            return refused
        self.menu = None
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    async def _upload(self, request: web.Request) -> web.Response:
        """Temporary media: multipart form with a `media` file part."""
        refused = self._refused(request)
        if refused is not None:
            return refused
        kind = request.query.get("type", "")
        form = await request.post()
        media = form.get("media")
        if not isinstance(media, web.FileField) or kind not in ("image", "voice", "video"):
            return web.json_response({"errcode": 40004, "errmsg": "invalid media type"})
        content = media.file.read()
        self.uploads.append((kind, media.filename, content))
        await self._changed_now()
        return web.json_response({"type": kind, "media_id": f"media-{len(self.uploads)}",
                                  "created_at": 1763862000})

    async def _file(self, request: web.Request) -> web.Response:
        """A file the bot fetches (an image in a reply, on the brand's own server)."""
        content = self.files.get(request.match_info["name"])
        if content is None:
            return web.Response(status=404, text="not found")
        return web.Response(body=content, content_type="application/octet-stream")
