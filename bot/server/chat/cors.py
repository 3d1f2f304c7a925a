"""Who may call the chat API from another origin: the `[web] allowed_origins`, nobody else.

Preflights from an allowed origin are answered; a POST from any other foreign origin is
refused before it is handled; answers to an allowed origin carry its CORS headers (added as
the response is prepared, so that the event stream gets them too).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from aiohttp import web

from bot.server.http import json_error
from bot.server.running import BOT_KEY

API = "/api/chat"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def own_origins(request: web.Request) -> set[str]:
    """Our own origin as the browser sees it (also through a proxy named by public_url)."""
    origins = {f"{request.scheme}://{request.host}".lower()}
    public_url = request.app[BOT_KEY].config.web.public_url
    if public_url:
        parts = urlsplit(public_url)
        origins.add(f"{parts.scheme}://{parts.netloc}".lower())
    return origins


def foreign_origin(request: web.Request) -> str | None:
    """The calling page's origin when it is not ours (None for same-origin and non-browsers)."""
    origin = request.headers.get("Origin")
    if origin is None or origin.lower() in own_origins(request):
        return None
    return origin


def is_api(request: web.Request) -> bool:
    """Whether the request is for the chat API."""
    return request.path == API or request.path.startswith(API + "/")


def refused(origin: str) -> web.Response:
    """The answer to a page of an origin that may not use the chat."""
    return json_error(403, f"origin {origin} may not use this chat ([web] allowed_origins)")


@web.middleware
async def cors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Answer preflights and refuse writes from origins not allowed."""
    origin = foreign_origin(request) if is_api(request) else None
    if origin is None:
        return await handler(request)
    allowed = request.app[BOT_KEY].config.web.is_allowed(origin)
    if request.method == "OPTIONS":
        if not allowed:
            return refused(origin)
        return web.Response(
            status=204,
            headers={
                "Access-Control-Allow-Methods": "GET, POST",
                "Access-Control-Allow-Headers": "Authorization, Content-Type, Last-Event-ID",
                "Access-Control-Max-Age": "600",
            },
        )
    if not allowed and request.method != "GET":
        return refused(origin)
    return await handler(request)


async def add_cors_headers(request: web.Request, response: web.StreamResponse) -> None:
    """An allowed origin may read the answer (tokens, not cookies: no credentials)."""
    origin = foreign_origin(request) if is_api(request) else None
    if origin is not None and request.app[BOT_KEY].config.web.is_allowed(origin):
        response.headers["Access-Control-Allow-Origin"] = origin
    if is_api(request):
        response.headers.add("Vary", "Origin")
