"""POST /api/orders/events: the shop's signed status events, applied by bot/orders/events.py."""

from __future__ import annotations

from aiohttp import web

from bot.core.errors import BodyTooLarge
from bot.server.http import json_error, json_response, read_body
from bot.server.running import BOT_KEY


async def order_events(request: web.Request) -> web.Response:
    """Read the body within the limit, then let the orders feature verify and apply it."""
    bot = request.app[BOT_KEY]
    limit = bot.config.server.max_body_bytes
    try:
        body = await read_body(request, limit)
    except BodyTooLarge:
        return json_error(413, f"body must be at most {limit} bytes")
    headers = {name.lower(): value for name, value in request.headers.items()}
    status, answer = bot.order_events.receive(body, headers)
    return json_response(answer, status=status)


def add_routes(app: web.Application) -> None:
    """Mount the order endpoints."""
    app.router.add_post("/api/orders/events", order_events)
