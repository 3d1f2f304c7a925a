"""POST /api/chat/uploads (a visitor's photo) and GET /api/chat/uploads/{id} (showing it)."""

from __future__ import annotations

import asyncio

from aiohttp import web

from bot.core.errors import BodyTooLarge, PayloadError
from bot.core.websession import NO_SESSION, upload_path
from bot.server.chat.limits import LIMITS_KEY, too_many
from bot.server.chat.photos import clean_photo
from bot.server.chat.session import client_address, visitor
from bot.server.http import json_error, json_response, read_body
from bot.server.running import BOT_KEY

EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "image/gif": "gif"}


async def upload(request: web.Request) -> web.Response:
    """Keep a photo sent as the raw body (its type says what it is); answer its id and URL."""
    bot = request.app[BOT_KEY]
    settings = bot.config.web
    visitor_id = visitor(request)
    if visitor_id is None:
        return json_error(401, NO_SESSION)
    wait = request.app[LIMITS_KEY].message(visitor_id, client_address(request))
    if wait:
        return too_many(wait)
    declared = request.content_type
    if declared not in settings.upload_types:
        allowed = ", ".join(settings.upload_types)
        return json_error(415, f"send a photo as the body with Content-Type one of {allowed}")
    limit = settings.max_upload_bytes
    try:
        data = await read_body(request, limit)
    except BodyTooLarge:
        return json_error(413, f"a photo must be at most {limit // (1024 * 1024)} MB")
    if not data:
        return json_error(400, "the body is empty: send the photo's bytes")
    try:
        # Decoding a large photo takes tens of milliseconds: off the event loop.
        photo = await asyncio.to_thread(
            clean_photo, data, settings.upload_types, settings.max_image_pixels
        )
    except PayloadError as error:
        return json_error(415, str(error))
    kept = bot.store.web.add_upload(
        visitor_id, photo.mime_type, photo.data, photo.width, photo.height, photo.sha256,
        bot.clock.now(),
    )
    return json_response(
        {
            "id": kept.id, "url": settings.public_url + upload_path(kept.id),
            "width": kept.width, "height": kept.height, "size": kept.size,
        },
        status=201,
    )


async def show(request: web.Request) -> web.Response:
    """The photo, with headers that keep a browser from running or sniffing it."""
    kept = request.app[BOT_KEY].store.web.upload(request.match_info["upload_id"], with_data=True)
    if kept is None:
        return json_error(404, "no such photo")
    response = web.Response(body=kept.data, content_type=kept.mime_type)
    response.headers.update(
        {
            # The id is the capability (staff open it from their own apps): never cached publicly.
            "Cache-Control": "private, max-age=86400, immutable",
            "Content-Disposition": f'inline; filename="photo.{EXTENSIONS[kept.mime_type]}"',
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "X-Content-Type-Options": "nosniff",
            "Cross-Origin-Resource-Policy": "cross-origin",
            "Referrer-Policy": "no-referrer",
        }
    )
    return response
