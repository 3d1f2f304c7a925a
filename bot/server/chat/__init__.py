"""The web chat: the widget page and embed snippet, sessions, messages, history, photos, live
stream, and who may call it from another origin."""

from __future__ import annotations

from aiohttp import web

from bot.server.chat import api, cors, page, session, stream, uploads
from bot.server.chat.limits import LIMITS_KEY, ChatLimits
from bot.server.running import BOT_KEY


def add_routes(app: web.Application) -> None:
    """Mount the web chat."""
    app[LIMITS_KEY] = ChatLimits(app[BOT_KEY].config.web)
    app.middlewares.append(cors.cors)
    app.on_response_prepare.append(cors.add_cors_headers)
    app.router.add_get("/", page.chat_page)
    app.router.add_get("/chat/{name}", page.asset)
    app.router.add_get("/embed.js", page.embed_script)
    app.router.add_post("/api/chat/session", session.open_session)
    app.router.add_post("/api/chat", api.chat)
    app.router.add_get("/api/chat/history", api.chat_history)
    app.router.add_get("/api/chat/stream", stream.stream)
    app.router.add_post("/api/chat/uploads", uploads.upload)
    app.router.add_get("/api/chat/uploads/{upload_id}", uploads.show)

    async def close_streams(app: web.Application) -> None:
        # Open event streams would otherwise hold the shutdown for their whole heartbeat.
        app[BOT_KEY].events.close()

    app.on_shutdown.append(close_streams)
