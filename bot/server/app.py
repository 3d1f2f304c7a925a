"""create_app: the aiohttp application mounting every endpoint, starting and stopping the bot."""

from __future__ import annotations

from aiohttp import web

from bot.server import chat, health, metrics, orders, webhooks
from bot.server.access import add_request_id, traced
from bot.server.console import routes as console
from bot.server.http import never_5xx
from bot.server.running import BOT_KEY, Running


def create_app(bot: Running, *, manage_bot: bool = True) -> web.Application:
    """The aiohttp application for `bot`; starts and stops it with the server if asked."""
    app = web.Application(
        client_max_size=bot.config.server.max_webhook_bytes, middlewares=[traced, never_5xx]
    )
    app[BOT_KEY] = bot
    app.on_response_prepare.append(add_request_id)
    for module in (chat, health, metrics, webhooks, orders):
        module.add_routes(app)
    if bot.config.console.enabled:
        console.add_routes(app)

    async def on_startup(app: web.Application) -> None:
        if manage_bot:
            await bot.start()

    async def on_cleanup(app: web.Application) -> None:
        # Unfinished handling is resumed from the store on the next start.
        await bot.ingress.drain()
        if manage_bot:
            await bot.stop()

    app.on_startup.append(on_startup)
    app.on_cleanup.append(on_cleanup)
    return app
