"""GET /metrics: the bot's metrics in Prometheus' text format, behind a bearer token if set."""

from __future__ import annotations

import hmac

from aiohttp import web
from prometheus_client.aiohttp import make_aiohttp_handler

from bot.core.payload import header_bytes
from bot.server.running import BOT_KEY


def add_routes(app: web.Application) -> None:
    """Mount /metrics for the app's bot."""
    bot = app[BOT_KEY]
    serve = make_aiohttp_handler(bot.metrics.registry)
    token = bot.config.server.metrics_token

    async def metrics(request: web.Request) -> web.StreamResponse:
        """The metrics; 401 without the configured bearer token."""
        if token:
            given = request.headers.get("Authorization", "")
            if not hmac.compare_digest(header_bytes(given), f"Bearer {token}".encode()):
                return web.Response(
                    status=401, text="a bearer token is needed",
                    headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
                )
        return await serve(request)

    app.router.add_get("/metrics", metrics)
