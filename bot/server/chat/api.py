"""POST /api/chat (one message, its replies in the answer) and GET /api/chat/history."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from bot.core.errors import BodyTooLarge, InboundError
from bot.core.message import MessageKind
from bot.core.websession import NO_SESSION, upload_path
from bot.server.chat.limits import LIMITS_KEY, too_many
from bot.server.chat.session import visitor
from bot.server.http import inbound, json_error, json_response, read_body
from bot.server.running import BOT_KEY
from bot.store.conversations import LogEntry
from bot.store.web import Upload

WEB = "web"
HISTORY_LINES = 50


async def chat(request: web.Request) -> web.Response:
    """One message from the web chat's visitor; its replies in the answer."""
    bot = request.app[BOT_KEY]
    settings = bot.config.server
    try:
        body = await read_body(request, settings.max_body_bytes)
    except BodyTooLarge:
        return json_error(413, f"body must be at most {settings.max_body_bytes} bytes")
    adapter = bot.adapters[WEB]
    try:
        request_data = inbound(request, body)
        adapter.verify(request_data)
        [message] = adapter.parse(request_data)
    except InboundError as error:
        return json_error(error.status, str(error))
    wait = request.app[LIMITS_KEY].message(message.user_id, request_data.remote)
    if wait:
        return too_many(wait)
    photo = message.media if message.kind is MessageKind.IMAGE else None
    # The photo must be this visitor's own upload, and sent once (a retry is the same).
    if photo is not None and not bot.store.web.attach(
        photo.media_id, message.user_id, message.message_id
    ):
        return json_error(400, "image must be the id of a photo you uploaded")
    handled = await bot.pipeline.receive(message)
    return json_response({"replies": [reply.to_dict() for reply in handled.replies]})


def entry_json(entry: LogEntry, uploads: dict[str, Upload], public_url: str) -> dict[str, Any]:
    """One line of the conversation as the widget reads it."""
    data: dict[str, Any] = {
        "id": entry.id,
        "direction": entry.direction,
        "kind": entry.kind,
        "text": entry.text,
        "route": entry.route,
        "at": entry.created_at.isoformat(),
        "reply": json.loads(entry.payload)
        if entry.direction == "out" and entry.payload
        else None,
    }
    upload = uploads.get(entry.message_id or "") if entry.direction == "in" else None
    if upload is not None:
        data["image"] = {
            "url": public_url + upload_path(upload.id), "width": upload.width,
            "height": upload.height,
        }
    return data


def conversation(request: web.Request, visitor_id: str, after: int) -> list[dict[str, Any]]:
    """The visitor's web conversation after a log id, photos included."""
    bot = request.app[BOT_KEY]
    customer = bot.store.customers.find(WEB, visitor_id)
    if customer is None:
        return []
    entries = bot.store.conversations.recent(customer.id, HISTORY_LINES, after, platform=WEB)
    # A customer who linked two browsers sees the photos sent from either.
    visitors = [identity.user_id for identity in customer.identities if identity.platform == WEB]
    photos = [entry.message_id for entry in entries if entry.kind == "image" and entry.message_id]
    uploads = bot.store.web.uploads_of(visitors, photos)
    return [entry_json(entry, uploads, bot.config.web.public_url) for entry in entries]


def after_of(request: web.Request) -> int | None:
    """The `after` log id of a query (0 without one), None if it is not a log id."""
    try:
        after = int(request.query.get("after", "0"))
    except ValueError:
        return None
    return after if 0 <= after < 2**63 else None


async def chat_history(request: web.Request) -> web.Response:
    """GET /api/chat/history: the caller's own conversation after a log id."""
    visitor_id = visitor(request)
    if visitor_id is None:
        return json_error(401, NO_SESSION)
    claimed = request.query.get("user_id")
    if claimed is not None and claimed != visitor_id:
        return json_error(403, "user_id is not yours: the chat session decides whose history")
    after = after_of(request)
    if after is None:
        return json_error(400, "after must be a log id (0 or more)")
    response = json_response({"messages": conversation(request, visitor_id, after)})
    response.headers["Cache-Control"] = "no-store"
    return response
