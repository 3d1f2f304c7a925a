"""The web chat: the widget page, POST /api/chat and its history for messages sent later."""

from __future__ import annotations

import json
from importlib import resources

from aiohttp import web

from bot.core.errors import BodyTooLarge, PayloadError
from bot.server.http import inbound, json_error, json_response, read_body
from bot.server.running import BOT_KEY

WEB = "web"


async def chat_page(request: web.Request) -> web.Response:
    """The web chat widget."""
    bot = request.app[BOT_KEY]
    page = resources.files("bot.server").joinpath("static/chat.html").read_text(encoding="utf-8")
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
        [message] = bot.adapters[WEB].parse(inbound(request, body))
    except PayloadError as error:
        return json_error(400, str(error))
    handled = await bot.pipeline.receive(message)
    return json_response({"replies": [reply.to_dict() for reply in handled.replies]})


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
    customer = bot.store.customers.find(WEB, user_id)
    entries = bot.store.conversations.recent(customer.id, 50, after) if customer else []
    return json_response(
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
        }
    )


def add_routes(app: web.Application) -> None:
    """Mount the web chat."""
    app.router.add_get("/", chat_page)
    app.router.add_post("/api/chat", chat)
    app.router.add_get("/api/chat/history", chat_history)
