"""The web chat's session token: its purpose, its cookie, and how a request carries it.

A page on our own origin keeps the token in an HttpOnly cookie; an embedded chat (a third-party
frame, where browsers withhold cookies) and API clients send it as `Authorization: Bearer`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from http.cookies import CookieError, SimpleCookie

from bot.core.signing import TokenSigner

PURPOSE = "web-session"
# What a chat request without a valid session is told (401).
NO_SESSION = "no valid chat session: POST /api/chat/session first (the widget does)"
COOKIE = "brandbot_chat"


def upload_path(upload_id: str) -> str:
    """Where a visitor's photo is served (the id is the capability: long and random)."""
    return f"/api/chat/uploads/{upload_id}"


def session_token(headers: Mapping[str, str]) -> str:
    """The token a request carries (lower-cased header names): bearer first, then the cookie."""
    authorization = headers.get("authorization", "")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    cookies = SimpleCookie()
    try:
        cookies.load(headers.get("cookie", ""))
    except CookieError:
        return ""
    morsel = cookies.get(COOKIE)
    return morsel.value if morsel is not None else ""


def visitor_of(
    signer: TokenSigner, headers: Mapping[str, str], now: datetime, max_age: timedelta
) -> str | None:
    """The visitor id of a request's valid session, None without one."""
    signed = signer.verify(PURPOSE, session_token(headers), now, max_age)
    return signed.value if signed is not None else None
