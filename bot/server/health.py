"""GET /healthz (the process answers, with the store's counts) and GET /readyz (it can do
its work: the store takes writes, migrations are applied, every enabled platform works)."""

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


async def readyz(request: web.Request) -> web.Response:
    """200 when every check passes, else 503; each check says "ok" or why not."""
    checks = await request.app[BOT_KEY].readiness.checks()
    ready = all(check.ok for check in checks)
    return web.json_response(
        {
            "status": "ready" if ready else "not ready",
            "checks": {check.name: check.detail for check in checks},
        },
        status=200 if ready else 503,
    )


def add_routes(app: web.Application) -> None:
    """Mount the health endpoints."""
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
