"""POST /api/chat/session: who a web visitor is, decided by the server and signed.

A page on our origin gets an HttpOnly, SameSite=Lax cookie; an embedded chat or an API client
asks for `{"mode": "token"}` and sends the token back as `Authorization: Bearer`. Either way
a valid session is renewed (same visitor, fresh expiry) and a new one is recorded with the
client's address, so a web identity costs one recorded session.
"""

from __future__ import annotations

import json
from datetime import timedelta

from aiohttp import web

from bot.core.clock import iso
from bot.core.websession import COOKIE, PURPOSE, visitor_of
from bot.server import http
from bot.server.chat.limits import LIMITS_KEY, too_many
from bot.server.http import json_error, json_response
from bot.server.running import BOT_KEY

MODES = ("cookie", "token")
MAX_BODY = 1024


def max_age(request: web.Request) -> timedelta:
    """How long a session lasts without being renewed."""
    return timedelta(days=request.app[BOT_KEY].config.web.session_days)


def visitor(request: web.Request) -> str | None:
    """The visitor id of the request's valid session, None without one."""
    bot = request.app[BOT_KEY]
    headers = {name.lower(): value for name, value in request.headers.items()}
    return visitor_of(bot.signer, headers, bot.clock.now(), max_age(request))


def client_address(request: web.Request) -> str:
    """The address the request came from (behind a trusted proxy: the one it reports)."""
    return http.client_address(request, request.app[BOT_KEY].config.server.trusted_proxies)


def is_secure(request: web.Request) -> bool:
    """Whether the visitor reached us over HTTPS (directly or as public_url says)."""
    public_url = request.app[BOT_KEY].config.web.public_url
    return request.secure or public_url.startswith("https://")


async def open_session(request: web.Request) -> web.Response:
    """Renew the caller's session or issue a new one."""
    bot = request.app[BOT_KEY]
    body = await request.content.read(MAX_BODY + 1)
    mode = "cookie"
    if body.strip():
        try:
            data = json.loads(body) if len(body) <= MAX_BODY else None
        except (UnicodeDecodeError, ValueError):
            data = None
        if not isinstance(data, dict):
            return json_error(400, 'body must be empty or {"mode": "cookie" | "token"}')
        mode = data.get("mode", "cookie")
        if mode not in MODES:
            return json_error(400, 'mode must be "cookie" or "token"')
    now = bot.clock.now()
    address = client_address(request)
    agent = request.headers.get("User-Agent", "")
    known = visitor(request)
    with bot.store.transaction():
        if known is not None and bot.store.web.renew(known, now):
            visitor_id = known
        elif wait := request.app[LIMITS_KEY].session(address):
            # New identities are what a farmer needs by the thousand; renewals cost nothing.
            return too_many(wait, "too many new chat sessions from your address: wait a moment")
        else:
            # A signed token whose row is gone (a restored store) keeps its identity.
            visitor_id = bot.store.web.open_session(address, agent, mode, now, known).visitor_id
    token = bot.signer.sign(PURPOSE, visitor_id, now)
    lifetime = max_age(request)
    answer: dict[str, object] = {"user_id": visitor_id, "expires_at": iso(now + lifetime)}
    if mode == "token":
        answer["token"] = token
    response = json_response(answer)
    response.headers["Cache-Control"] = "no-store"
    if mode == "cookie":
        response.set_cookie(
            COOKIE, token, max_age=int(lifetime.total_seconds()), path="/", httponly=True,
            samesite="Lax", secure=is_secure(request),
        )
    return response
