"""GET /healthz: whether the store answers, with the outbox's queue sizes."""

from __future__ import annotations

from aiohttp import web

from bot.server.running import BOT_KEY


async def healthz(request: web.Request) -> web.Response:
    """200 with the store's schema and the outbox counts; 503 when the store does not answer."""
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


def add_routes(app: web.Application) -> None:
    """Mount the health endpoint."""
    app.router.add_get("/healthz", healthz)
