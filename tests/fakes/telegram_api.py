"""A fake Telegram Bot API on 127.0.0.1: records calls, serves getUpdates, can fail or stall."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from bot.config import Config

TOKEN = "7123456789:AAH-fake-token-for-tests"
SECRET = "test-secret_token-1"
BOT_USER = {"id": 7123456789, "is_bot": True, "first_name": "Cloud Leaf Tea",
            "username": "cloudleaf_bot"}
BLOCKED = {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"}


@dataclass(frozen=True)
class Call:
    """One request the fake received."""

    method: str
    params: dict[str, Any]
    content_type: str


class FakeTelegramApi:
    """Implements the Bot API methods brandbot calls, with JSON and form-encoded bodies."""

    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.calls: list[Call] = []
        self.delivered: list[dict[str, Any]] = []  # messages the fake accepted
        self.updates: list[dict[str, Any]] = []
        self.blocked: set[int] = set()
        self.webhook: dict[str, Any] = {}
        self.commands: dict[str, list[dict[str, str]]] = {}
        self._scripted: dict[str, deque[tuple[int, dict[str, Any]] | None]] = {}
        self._changed = asyncio.Condition()
        self._closing = asyncio.Event()
        self._message_ids = itertools.count(5001)
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    async def start(self) -> str:
        """Serve on an OS-chosen loopback port; returns the base URL."""
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, handler_cancellation=True)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base_url = f"http://127.0.0.1:{port}"
        return self.base_url

    async def close(self) -> None:
        """Wake stalled and long-polling requests, then stop serving."""
        self._closing.set()
        if self._runner is not None:
            await self._runner.cleanup()

    def fail_next(self, method: str, status: int, body: dict[str, Any]) -> None:
        """Answer the next call of `method` with this status and body."""
        self._scripted.setdefault(method, deque()).append((status, body))

    def stall_next(self, method: str) -> None:
        """Never answer the next call of `method` (until the fake closes)."""
        self._scripted.setdefault(method, deque()).append(None)

    async def push(self, update: dict[str, Any]) -> None:
        """Queue an update for getUpdates."""
        async with self._changed:
            self.updates.append(update)
            self._changed.notify_all()

    def calls_to(self, method: str) -> list[dict[str, Any]]:
        """The parameters of every call of `method`, in order."""
        return [call.params for call in self.calls if call.method == method]

    async def wait_for(self, method: str, count: int = 1, timeout: float = 10) -> list[Any]:
        """Wait until `method` was called at least `count` times; returns their parameters."""
        async with self._changed:
            await asyncio.wait_for(
                self._changed.wait_for(lambda: len(self.calls_to(method)) >= count), timeout
            )
        return self.calls_to(method)

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = {**request.query, **await _params(request)}
        async with self._changed:
            self.calls.append(Call(method, params, request.content_type))
            self._changed.notify_all()
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        scripted = self._scripted.get(method)
        if scripted:
            answer = scripted.popleft()
            if answer is None:
                await self._closing.wait()
                return _error(500, "stalled")
            return web.json_response(answer[1], status=answer[0])
        handler = getattr(self, f"_{_snake(method)}", None)
        if handler is None:
            return _error(404, "Not Found")
        result = await handler(params)
        if isinstance(result, web.Response):
            return result
        return web.json_response({"ok": True, "result": result})

    async def _send_message(self, params: dict[str, Any]) -> Any:
        chat_id = int(params["chat_id"])
        if chat_id in self.blocked:
            return web.json_response(BLOCKED, status=403)
        text = str(params.get("text", ""))
        if not text.strip():
            return _error(400, "Bad Request: message text is empty")
        if len(text.encode("utf-16-le")) // 2 > 4096:
            return _error(400, "Bad Request: message is too long")
        if not _entities_parse(text, params.get("parse_mode")):
            return _error(400, "Bad Request: can't parse entities")
        return self._accept(chat_id, params)

    async def _send_photo(self, params: dict[str, Any]) -> Any:
        chat_id = int(params["chat_id"])
        if chat_id in self.blocked:
            return web.json_response(BLOCKED, status=403)
        return self._accept(chat_id, params)

    def _accept(self, chat_id: int, params: dict[str, Any]) -> dict[str, Any]:
        self.delivered.append(params)
        return {"message_id": next(self._message_ids), "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"},
                "text": params.get("text", "")}

    async def _answer_callback_query(self, params: dict[str, Any]) -> Any:
        return True

    async def _get_me(self, params: dict[str, Any]) -> Any:
        return BOT_USER

    async def _get_updates(self, params: dict[str, Any]) -> Any:
        if self.webhook.get("url"):
            return _error(409, "Conflict: can't use getUpdates method while webhook is active")
        offset = int(params.get("offset") or 0)
        timeout = float(params.get("timeout") or 0)

        def pending() -> list[dict[str, Any]]:
            return [update for update in self.updates if update["update_id"] >= offset]

        async with self._changed:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    self._changed.wait_for(lambda: bool(pending()) or self._closing.is_set()),
                    timeout,
                )
            return pending()

    async def _set_webhook(self, params: dict[str, Any]) -> Any:
        self.webhook = dict(params)
        return True

    async def _delete_webhook(self, params: dict[str, Any]) -> Any:
        self.webhook = {}
        return True

    async def _get_webhook_info(self, params: dict[str, Any]) -> Any:
        return {"url": self.webhook.get("url", ""), "has_custom_certificate": False,
                "pending_update_count": 3, "max_connections": 40,
                "allowed_updates": self.webhook.get("allowed_updates", [])}

    async def _set_my_commands(self, params: dict[str, Any]) -> Any:
        self.commands[str(params.get("language_code", ""))] = list(params["commands"])
        return True


async def _params(request: web.Request) -> dict[str, Any]:
    """A JSON body as is; form fields (what python-telegram-bot sends) JSON-decoded if JSON."""
    if request.content_type == "application/json":
        data = await request.json()
        return dict(data) if isinstance(data, dict) else {}
    form = await request.post()
    params: dict[str, Any] = {}
    for key, value in form.items():
        text = str(value)
        try:
            params[key] = json.loads(text) if text[:1] in "[{" else text
        except ValueError:
            params[key] = text
    return params


def _entities_parse(text: str, parse_mode: Any) -> bool:
    """Roughly what the real API refuses: unbalanced markup in the chosen parse mode."""
    if not parse_mode:
        return True
    if parse_mode == "HTML":
        return re.search(r"<(?!/?(b|i|u|s|a|code|pre)\b)|&(?!\w+;|#\d+;)", text) is None
    return all(text.count(mark) % 2 == 0 for mark in "*_`[")


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()


def _error(status: int, description: str) -> web.Response:
    return web.json_response(
        {"ok": False, "error_code": status, "description": description}, status=status
    )


def telegram_config(
    make_config: Callable[..., Config], base_url: str, **settings: Any
) -> Config:
    """A test Config with Telegram enabled against the fake."""
    table = {"enabled": True, "token_env": "TG_TOKEN", "secret_token_env": "TG_SECRET",
             "api_base_url": base_url, "bot_username": "cloudleaf_bot", **settings}
    return make_config(
        platforms={"telegram": table}, env={"TG_TOKEN": TOKEN, "TG_SECRET": SECRET}
    )
