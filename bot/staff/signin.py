"""Signing in to the staff console without passwords: one-time links, signed sessions, CSRF.

A link carries a random token; the store keeps only its hash, spends it once and lets it
lapse after `[console] link_minutes`. Signing in opens a session whose random id travels in a
cookie signed with the console secret (HMAC-SHA256), and whose hash is a store row, so a
session can be revoked and expires on the server whatever the browser keeps. The CSRF token
of a session is derived from its id with the same secret: nothing else to store.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.config import Config
from bot.store import Store
from bot.store.staff.console import Session

SIGNIN_PATH = "/console/signin"


def hash_of(secret: str) -> str:
    """How a link token or a session id is stored."""
    return hashlib.sha256(secret.encode()).hexdigest()


def base_url(config: Config) -> str:
    """Where staff reach this server: `[console] public_url`, else the address it listens on."""
    if config.console.public_url:
        return config.console.public_url
    host = config.server.host
    host = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    return f"http://{host}:{config.server.port}"


def issue_link(store: Store, config: Config, staff: str, created_by: str, now: datetime) -> str:
    """A sign-in link for a member of `[staff.members]`, working once for link_minutes."""
    role = config.staff.members.get(staff)
    if role is None:
        raise ValueError(f"{staff} is not in [staff.members]")
    token = secrets.token_urlsafe(32)
    expires = now + timedelta(minutes=config.console.link_minutes)
    with store.transaction():
        store.console.add_link(hash_of(token), staff, created_by, now, expires)
        store.staff.audit(
            staff=created_by, role=config.staff.members.get(created_by, role),
            action="console.link", target=staff, after={"expires_at": expires.isoformat()},
            now=now,
        )
    return f"{base_url(config)}{SIGNIN_PATH}?token={token}"


@dataclass(frozen=True, slots=True)
class Keys:
    """The console secret at work: cookie signatures and CSRF tokens."""

    secret: bytes

    def _mac(self, purpose: str, value: str) -> str:
        return hmac.new(self.secret, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()

    def cookie(self, session_id: str) -> str:
        """The cookie value of a session: its id and a signature."""
        return f"{session_id}.{self._mac('session', session_id)}"

    def session_id(self, cookie: str) -> str | None:
        """The session id of a cookie whose signature holds, else None."""
        session_id, _, signature = cookie.rpartition(".")
        if not session_id or not hmac.compare_digest(signature, self._mac("session", session_id)):
            return None
        return session_id

    def csrf(self, session_id: str) -> str:
        """The token every form of this session must send back."""
        return self._mac("csrf", session_id)

    def is_csrf(self, session_id: str, token: str) -> bool:
        """Whether a form's token is this session's."""
        return hmac.compare_digest(token, self.csrf(session_id))


def keys_of(store: Store, config: Config, now: datetime) -> Keys:
    """The keys from the secret in the environment, else the one generated into the store."""
    return Keys((config.console.secret or store.console.secret(now)).encode())


def sign_in(
    store: Store, config: Config, token: str, client: str, now: datetime
) -> tuple[str, Session] | None:
    """Spend a link and open a session: (session id, session), or None for a dead link.

    A member removed from `[staff.members]` after the link was made cannot use it.
    """
    with store.transaction():
        staff = store.console.use_link(hash_of(token), now) if token else None
        if staff is None or staff not in config.staff.members:
            return None
        session_id = secrets.token_urlsafe(32)
        expires = now + timedelta(hours=config.console.session_hours)
        store.console.open_session(hash_of(session_id), staff, now, expires, client)
        store.staff.audit(
            staff=staff, role=config.staff.members[staff], action="console.signin",
            target=staff, after={"client": client[:200]}, now=now,
        )
        session = store.console.session(hash_of(session_id))
    assert session is not None
    return session_id, session


def current(store: Store, config: Config, session_id: str, now: datetime) -> Session | None:
    """The live session of an id from a verified cookie, whose staff member is still staff."""
    session = store.console.session(hash_of(session_id))
    if session is None or not session.is_live(now) or session.staff not in config.staff.members:
        return None
    return session


def is_paused(store: Store, config: Config, source: str, now: datetime) -> bool:
    """Whether an address made too many failed sign-ins lately (`[console] signin_attempts`)."""
    since = now - timedelta(minutes=config.console.signin_window_minutes)
    return store.console.failures_since(source, since) >= config.console.signin_attempts
