"""The aiohttp application: web chat, /api/chat, /webhooks/{platform}, /healthz."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from importlib import resources
from typing import Any

from aiohttp import web

from bot.adapters.base import Adapter, InboundRequest, ReceiptSource, WebhookAnswer
from bot.adapters.web import parse_chat
from bot.app import Bot
from bot.errors import PayloadError, SignatureError
from bot.message import Message
from bot.pipeline import Ticket

log = logging.getLogger(__name__)

BOT_KEY = web.AppKey("bot", Bot)
TASKS_KEY = web.AppKey("tasks", set[asyncio.Task[Any]])


class BodyTooLarge(Exception):
    """The request body is over the configured limit."""


def json_error(status: int, message: str) -> web.Response:
    """A clear JSON error for API callers."""
    return web.json_response({"error": message}, status=status)


async def read_body(request: web.Request, limit: int) -> bytes:
    """The raw body, refusing more than `limit` bytes without reading them all."""
    if request.content_length is not None and request.content_length > limit:
        raise BodyTooLarge
    # read(n) returns what has arrived so far (at most n): keep reading until the end.
    chunks: list[bytes] = []
    size = 0
    while chunk := await request.content.read(64 * 1024):
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def to_response(answer: WebhookAnswer) -> web.Response:
    """An adapter's answer as an aiohttp response."""
    body = answer.body.encode("utf-8") if isinstance(answer.body, str) else answer.body
    content_type, _, charset = answer.content_type.partition("; charset=")
    return web.Response(
        status=answer.status, body=body, content_type=content_type, charset=charset or "utf-8"
    )


async def healthz(request: web.Request) -> web.Response:
    """Whether the store answers, with the outbox's queue sizes."""
    bot = request.app[BOT_KEY]
    if not bot.store.is_reachable():
        return web.json_response({"status": "unavailable", "store": False}, status=503)
    return web.json_response(
        {
            "status": "ok",
            "store": True,
            "schema_version": bot.store.schema_version,
            "platforms": sorted(bot.webhooks),
            "outbox": bot.store.outbox.counts(),
        }
    )


async def chat_page(request: web.Request) -> web.Response:
    """The web chat widget."""
    bot = request.app[BOT_KEY]
    page = resources.files("bot.web").joinpath("chat.html").read_text(encoding="utf-8")
    brand = json.dumps(bot.config.bot.brand, ensure_ascii=False)
    return web.Response(text=page.replace("__BRAND_JSON__", brand), content_type="text/html")


async def chat(request: web.Request) -> web.Response:
    """POST /api/chat: one message from the web chat, its replies in the answer."""
    bot = request.app[BOT_KEY]
    settings = bot.config.server
    try:
        body = await read_body(request, settings.max_body_bytes)
    except BodyTooLarge:
        return json_error(413, f"body must be at most {settings.max_body_bytes} bytes")
    try:
        message = parse_chat(body, settings.max_text_chars)
    except PayloadError as error:
        return json_error(400, str(error))
    handled = await bot.pipeline.receive(message)
    return web.json_response(
        {"replies": [reply.to_dict() for reply in handled.replies]},
        dumps=lambda data: json.dumps(data, ensure_ascii=False),
    )


async def chat_history(request: web.Request) -> web.Response:
    """GET /api/chat/history: a web customer's conversation after a log id."""
    bot = request.app[BOT_KEY]
    user_id = request.query.get("user_id", "")
    try:
        after = int(request.query.get("after", "0"))
    except ValueError:
        return json_error(400, "after must be an integer")
    if not 0 <= after < 2**63:
        return json_error(400, "after must be a log id (0 or more)")
    if not user_id or len(user_id) > 128:
        return json_error(400, "user_id is required")
    customer = bot.store.customers.find("web", user_id)
    entries = bot.store.conversations.recent(customer.id, 50, after) if customer else []
    return web.json_response(
        {
            "messages": [
                {
                    "id": entry.id,
                    "direction": entry.direction,
                    "text": entry.text,
                    "route": entry.route,
                    "reply": json.loads(entry.payload)
                    if entry.direction == "out" and entry.payload
                    else None,
                }
                for entry in entries
            ]
        },
        dumps=lambda data: json.dumps(data, ensure_ascii=False),
    )


def _inbound(request: web.Request, body: bytes) -> InboundRequest:
    return InboundRequest(
        method=request.method,
        path=request.path,
        query=dict(request.query),
        headers={name.lower(): value for name, value in request.headers.items()},
        body=body,
    )


async def webhook_get(request: web.Request) -> web.Response:
    """The platform's verification handshake."""
    adapter = _adapter(request)
    return to_response(adapter.handshake(_inbound(request, b"")))


def _adapter(request: web.Request) -> Adapter:
    adapter = request.app[BOT_KEY].webhooks.get(request.match_info["platform"])
    if adapter is None:
        raise web.HTTPNotFound(text="no such platform")
    return adapter


async def webhook_post(request: web.Request) -> web.Response:
    """Verify, parse, record every message, then answer: passively when fast enough."""
    bot = request.app[BOT_KEY]
    adapter = _adapter(request)
    try:
        body = await read_body(request, bot.config.server.max_webhook_bytes)
    except BodyTooLarge:
        return web.Response(status=413, text="payload too large")
    inbound = _inbound(request, body)
    try:
        adapter.verify(inbound)
    except SignatureError as error:
        log.warning("bad signature from %s: %s", adapter.name, error)
        return web.Response(status=error.status, text="forbidden")
    try:
        messages = adapter.parse(inbound)
    except PayloadError as error:
        log.warning("unparseable %s payload kept as a dead letter: %s", adapter.name, error)
        bot.store.dead_letters.add(
            adapter.name, str(error), inbound.headers, body, bot.clock.now()
        )
        return web.Response(status=400, text="bad request")
    if isinstance(adapter, ReceiptSource):
        _record_receipts(bot, adapter, inbound)
    fresh = [message for message in messages if bot.pipeline.record(message)]
    if not fresh:
        return to_response(adapter.acknowledge(inbound))
    if adapter.reply_budget_seconds is not None and len(fresh) == 1:
        answer = await _reply_within_budget(request, adapter, fresh[0])
        return to_response(answer or adapter.acknowledge(inbound))
    for message in fresh:
        _background(request.app, bot.pipeline.handle(message))
    return to_response(adapter.acknowledge(inbound))


def _record_receipts(bot: Bot, adapter: ReceiptSource, inbound: InboundRequest) -> None:
    """Apply the delivery reports of a webhook to the outbox rows they are about."""
    receipts = adapter.receipts(inbound)
    now = bot.clock.now()
    with bot.store.db.transaction():
        for receipt in receipts:
            found = bot.store.outbox.set_delivery_state(
                receipt.platform, receipt.platform_message_id, receipt.state, receipt.error,
                now, unless=receipt.unless,
            )
            if not found:
                log.debug("%s receipt %s for no outbox row (or an older state)",
                          receipt.platform, receipt.state)


async def _reply_within_budget(
    request: web.Request, adapter: Adapter, message: Message
) -> WebhookAnswer | None:
    """The passive answer if the replies are ready in time; else they go through the outbox."""
    bot = request.app[BOT_KEY]
    ticket = Ticket(passive=True)
    task = _background(request.app, bot.pipeline.handle(message, ticket))
    assert adapter.reply_budget_seconds is not None
    try:
        handled = await asyncio.wait_for(asyncio.shield(task), adapter.reply_budget_seconds)
    except TimeoutError:
        # Same event loop: the handler sees this before it renders, so replies go to the outbox.
        ticket.passive = False
        return None
    answer: WebhookAnswer | None = handled.answer
    return answer


def _background(app: web.Application, coroutine: Any) -> asyncio.Task[Any]:
    tasks: set[asyncio.Task[Any]] = app[TASKS_KEY]
    task = asyncio.create_task(coroutine)
    tasks.add(task)
    task.add_done_callback(tasks.discard)
    task.add_done_callback(_log_failure)
    return task


def _log_failure(task: asyncio.Task[Any]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("background handling failed", exc_info=task.exception())


def create_app(bot: Bot, *, manage_bot: bool = True) -> web.Application:
    """The aiohttp application for `bot`; starts and stops it with the server if asked."""
    app = web.Application(client_max_size=bot.config.server.max_webhook_bytes)
    app[BOT_KEY] = bot
    app[TASKS_KEY] = set()
    app.router.add_get("/", chat_page)
    app.router.add_get("/healthz", healthz)
    app.router.add_post("/api/chat", chat)
    app.router.add_get("/api/chat/history", chat_history)
    app.router.add_get("/webhooks/{platform}", webhook_get)
    app.router.add_post("/webhooks/{platform}", webhook_post)
    from bot.orders_api import add_routes as add_order_routes

    add_order_routes(app)

    async def on_startup(app: web.Application) -> None:
        if manage_bot:
            await bot.start()

    async def on_cleanup(app: web.Application) -> None:
        running: set[asyncio.Task[Any]] = app[TASKS_KEY]
        tasks = list(running)
        if tasks:
            # Unfinished handling is resumed from the store on the next start.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 5)
        if manage_bot:
            await bot.stop()

    app.on_startup.append(on_startup)
    app.on_cleanup.append(on_cleanup)
    return app
