"""Who is asking: the signed session cookie, the role the route needs, the form's CSRF token.

Every console route but sign-in goes through `guarded`: no session → the sign-in help page
(401 for scripts), a role too low → 403, a POST without this session's CSRF token → 403,
whatever the page shows or hides. Roles come from `[staff.members]` on every request.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from urllib.parse import quote

from aiohttp import web

from bot.core.errors import BotError
from bot.server.console.i18n import translate
from bot.server.console.member import STAFF_KEY, Staff
from bot.server.console.render import PREFIX, language_of, page
from bot.server.running import BOT_KEY
from bot.staff import signin

log = logging.getLogger(__name__)

SESSION_COOKIE = "brandbot_console"
CSRF_FIELD = "csrf"
CSRF_HEADER = "X-CSRF-Token"
TOUCH_EVERY = timedelta(minutes=1)


Handler = Callable[[web.Request, Staff], Awaitable[web.StreamResponse]]


def signed_in(request: web.Request) -> Staff | None:
    """The staff member whose live session the request's cookie names, if any."""
    bot = request.app[BOT_KEY]
    now = bot.clock.now()
    keys = signin.keys_of(bot.store, bot.config, now)
    session_id = keys.session_id(request.cookies.get(SESSION_COOKIE, ""))
    if session_id is None:
        return None
    session = signin.current(bot.store, bot.config, session_id, now)
    if session is None:
        return None
    role = bot.config.staff.members[session.staff]
    return Staff(session.staff, role, session_id, session, keys.csrf(session_id))


def wants_json(request: web.Request) -> bool:
    """Whether the caller is the console's own script (it asks for JSON)."""
    return "application/json" in request.headers.get("Accept", "")


def refuse(request: web.Request, status: int, key: str, **values: object) -> web.Response:
    """A clear refusal: JSON for scripts, a page for people."""
    if wants_json(request):
        message = translate(language_of(request), key, **values)
        return web.json_response({"error": message, "key": key}, status=status)
    return page(request, "refused.html", {"reason": key, "values": values}, status=status)


def guarded(role: str, handler: Handler) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """The handler, run only for a signed-in member of at least `role` (and a CSRF'd POST)."""

    async def run(request: web.Request) -> web.StreamResponse:
        staff = signed_in(request)
        if staff is None:
            if request.method == "GET" and not wants_json(request):
                raise web.HTTPSeeOther(f"{PREFIX}/welcome?next={quote(request.path_qs)}")
            return refuse(request, 401, "refused_signed_out")
        request[STAFF_KEY] = staff
        if not staff.may(role):
            log.warning("console: %s (%s) refused %s %s", staff.id, staff.role, request.method,
                        request.path)
            return refuse(request, 403, "refused_role", role=staff.role, needed=role)
        if request.method == "POST":
            form = await request.post()
            token = request.headers.get(CSRF_HEADER) or str(form.get(CSRF_FIELD, ""))
            if not hmac.compare_digest(token.encode(), staff.csrf.encode()):
                log.warning("console: POST %s from %s without its CSRF token", request.path,
                            staff.id)
                return refuse(request, 403, "refused_csrf")
        bot = request.app[BOT_KEY]
        now = bot.clock.now()
        # "Last seen" to the minute: open pages poll every few seconds, which need no write.
        if now - staff.session.last_seen_at >= TOUCH_EVERY:
            bot.store.console.touch(staff.session.id_hash, now)
        try:
            return await handler(request, staff)
        except BotError as error:
            # A request the feature refused (bad data, a step that cannot be done): say why.
            return refuse(request, 400, "refused_bad_request", detail=str(error))

    return run
