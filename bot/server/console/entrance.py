"""Signing in and out: the link's page, spending it, sessions to see and revoke, the language."""

from __future__ import annotations

import hmac
import logging
import secrets
from urllib.parse import urlsplit

from aiohttp import web

from bot.server.console.auth import SESSION_COOKIE, signed_in
from bot.server.console.member import Staff
from bot.server.console.render import LANGUAGE_COOKIE, PREFIX, page, redirect
from bot.server.running import BOT_KEY
from bot.staff import signin

log = logging.getLogger(__name__)

PRE_COOKIE = "brandbot_console_pre"  # ties the sign-in form to the browser that opened the link


def _next(value: str) -> str:
    """Where to go after signing in: a console path only (never another site)."""
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or not parts.path.startswith(PREFIX + "/"):
        return f"{PREFIX}/"
    return value


async def welcome(request: web.Request) -> web.Response:
    """How to get in: ask the bot for a link (no passwords)."""
    return page(request, "welcome.html", {"next": _next(request.query.get("next", ""))})


async def link_page(request: web.Request) -> web.Response:
    """The page a sign-in link opens: one button, so that link previews do not spend it."""
    token = request.query.get("token", "")
    pre = secrets.token_urlsafe(16)
    response = page(request, "signin.html", {"token": token, "pre": pre,
                                             "next": _next(request.query.get("next", ""))})
    response.set_cookie(PRE_COOKIE, pre, path=PREFIX, httponly=True, samesite="Strict",
                        max_age=3600)
    return response


def _client(request: web.Request) -> str:
    return request.remote or "unknown"


async def sign_in(request: web.Request) -> web.StreamResponse:
    """Spend the link and open a session, unless this address failed too often."""
    bot = request.app[BOT_KEY]
    now = bot.clock.now()
    source = _client(request)
    if signin.is_paused(bot.store, bot.config, source, now):
        log.warning("console: sign-in paused for %s", source)
        minutes = bot.config.console.signin_window_minutes
        return page(request, "signin_failed.html", {"reason": "signin_paused",
                                                    "minutes": minutes}, status=429)
    form = await request.post()
    token, pre = str(form.get("token", "")), str(form.get("pre", ""))
    if not pre or not hmac.compare_digest(pre, request.cookies.get(PRE_COOKIE, "")):
        return page(request, "signin_failed.html", {"reason": "signin_no_cookie", "minutes": 0},
                    status=400)
    client = f"{source} {request.headers.get('User-Agent', '')}"
    opened = signin.sign_in(bot.store, bot.config, token, client, now)
    if opened is None:
        bot.store.console.record_failure(source, now)
        log.warning("console: a used, expired or unknown sign-in link from %s", source)
        return page(request, "signin_failed.html", {"reason": "signin_dead_link",
                                                    "minutes": bot.config.console.link_minutes},
                    status=400)
    session_id, session = opened
    keys = signin.keys_of(bot.store, bot.config, now)
    response = redirect(_next(str(form.get("next", ""))))
    response.set_cookie(
        SESSION_COOKIE, keys.cookie(session_id), path=PREFIX, httponly=True, samesite="Strict",
        secure=bot.config.console.secure_cookie,
        max_age=int((session.expires_at - now).total_seconds()),
    )
    response.del_cookie(PRE_COOKIE, path=PREFIX)
    log.info("console: %s signed in", session.staff)
    return response


async def sign_out(request: web.Request, staff: Staff) -> web.StreamResponse:
    """End this session now."""
    bot = request.app[BOT_KEY]
    now = bot.clock.now()
    with bot.store.transaction():
        bot.store.console.revoke(staff.session.id_hash, staff.id, now)
        bot.store.staff.audit(staff=staff.id, role=staff.role, action="console.signout",
                              target=staff.id, now=now)
    response = redirect(f"{PREFIX}/welcome")
    response.del_cookie(SESSION_COOKIE, path=PREFIX)
    return response


async def sessions(request: web.Request, staff: Staff) -> web.Response:
    """The live sessions: one's own, or everyone's for an admin."""
    bot = request.app[BOT_KEY]
    everyone = staff.may("admin")
    live = bot.store.console.live_sessions(bot.clock.now(), None if everyone else staff.id)
    return page(request, "sessions.html", {"sessions": live, "current": staff.session.id_hash,
                                           "everyone": everyone})


async def revoke(request: web.Request, staff: Staff) -> web.StreamResponse:
    """End a session: one's own anywhere, anyone's for an admin."""
    bot = request.app[BOT_KEY]
    form = await request.post()
    id_hash = str(form.get("session", ""))
    session = bot.store.console.session(id_hash)
    if session is None or (session.staff != staff.id and not staff.may("admin")):
        return redirect(f"{PREFIX}/sessions", "no_such_session", "error")
    now = bot.clock.now()
    with bot.store.transaction():
        if bot.store.console.revoke(id_hash, staff.id, now):
            bot.store.staff.audit(staff=staff.id, role=staff.role, action="console.revoke",
                                  target=session.staff, now=now,
                                  before={"created_at": session.created_at.isoformat()})
    if id_hash == staff.session.id_hash:
        response = redirect(f"{PREFIX}/welcome")
        response.del_cookie(SESSION_COOKIE, path=PREFIX)
        return response
    return redirect(f"{PREFIX}/sessions", "session_revoked")


async def language(request: web.Request) -> web.StreamResponse:
    """Switch the UI between Chinese and English."""
    chosen = request.query.get("to", "en")
    response = redirect(_next(request.query.get("next", "")))
    if chosen in ("en", "zh"):
        response.set_cookie(LANGUAGE_COOKIE, chosen, path=PREFIX, samesite="Strict",
                            max_age=365 * 86400)
    return response


async def home(request: web.Request) -> web.StreamResponse:
    """The console's front door: the inbox when signed in, else how to sign in."""
    if signed_in(request) is None:
        raise web.HTTPSeeOther(f"{PREFIX}/welcome")
    raise web.HTTPSeeOther(f"{PREFIX}/inbox")
