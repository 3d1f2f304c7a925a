"""GET and POST /webhooks/{platform}: handshakes and pushes, handed to the runtime's ingress."""

from __future__ import annotations

from aiohttp import web

from bot.core.adapter import Adapter
from bot.core.errors import BodyTooLarge
from bot.server.http import inbound, read_body, to_response
from bot.server.running import BOT_KEY


def _adapter(request: web.Request) -> Adapter:
    adapter = request.app[BOT_KEY].webhooks.get(request.match_info["platform"])
    if adapter is None:
        raise web.HTTPNotFound(text="no such platform")
    return adapter


async def webhook_get(request: web.Request) -> web.Response:
    """The platform's verification handshake."""
    adapter = _adapter(request)
    return to_response(adapter.handshake(inbound(request, b"")))


async def webhook_post(request: web.Request) -> web.Response:
    """One push: verified, parsed, recorded and answered by the ingress."""
    bot = request.app[BOT_KEY]
    adapter = _adapter(request)
    try:
        body = await read_body(request, bot.config.server.max_webhook_bytes)
    except BodyTooLarge:
        return web.Response(status=413, text="payload too large")
    return to_response(await bot.ingress.webhook(adapter, inbound(request, body)))


def add_routes(app: web.Application) -> None:
    """Mount the webhooks of every enabled platform."""
    app.router.add_get("/webhooks/{platform}", webhook_get)
    app.router.add_post("/webhooks/{platform}", webhook_post)
