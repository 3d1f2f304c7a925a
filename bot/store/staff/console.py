"""The staff console's access records: one-time sign-in links, sessions, failed sign-ins.

Links and sessions are stored by the SHA-256 of their secret, never the secret itself, so a
copy of the database opens no console.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from bot.core.clock import iso, parse_iso
from bot.store.database import Database
from bot.store.kv import KeyValues

SECRET_KEY = "console:secret"


@dataclass(frozen=True, slots=True)
class Session:
    """One signed-in browser of one staff member."""

    id_hash: str
    staff: str
    created_at: datetime
    expires_at: datetime
    last_seen_at: datetime
    revoked_at: datetime | None
    client: str

    def is_live(self, now: datetime) -> bool:
        """Not revoked and not expired."""
        return self.revoked_at is None and now < self.expires_at


def _session(row: dict[str, object]) -> Session:
    revoked = row["revoked_at"]
    return Session(
        id_hash=str(row["id_hash"]), staff=str(row["staff"]),
        created_at=parse_iso(str(row["created_at"])),
        expires_at=parse_iso(str(row["expires_at"])),
        last_seen_at=parse_iso(str(row["last_seen_at"])),
        revoked_at=parse_iso(str(revoked)) if revoked else None, client=str(row["client"]),
    )


class ConsoleAccess:
    """Issues and spends sign-in links, keeps sessions, counts failed sign-ins."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def secret(self, now: datetime) -> str:
        """The generated signing secret, made once per store (every process reads the same)."""
        return KeyValues(self.db).claim(SECRET_KEY, secrets.token_urlsafe(32), now)

    def add_link(
        self, token_hash: str, staff: str, created_by: str, now: datetime, expires_at: datetime
    ) -> None:
        """Remember a sign-in link until it is used or expires."""
        self.db.execute(
            "INSERT INTO console_links (token_hash, staff, created_by, created_at, expires_at)"
            " VALUES (?, ?, ?, ?, ?)",
            [token_hash, staff, created_by, iso(now), iso(expires_at)],
        )

    def use_link(self, token_hash: str, now: datetime) -> str | None:
        """Spend a link: the staff member it was for, once, before it expires; else None."""
        staff = self.db.scalar(
            "UPDATE console_links SET used_at = ? WHERE token_hash = ? AND used_at IS NULL"
            " AND expires_at > ? RETURNING staff",
            [iso(now), token_hash, iso(now)],
        )
        return str(staff) if staff is not None else None

    def open_session(
        self, id_hash: str, staff: str, now: datetime, expires_at: datetime, client: str
    ) -> None:
        """A new session for a staff member who just signed in."""
        self.db.execute(
            "INSERT INTO console_sessions (id_hash, staff, created_at, expires_at, last_seen_at,"
            " client) VALUES (?, ?, ?, ?, ?, ?)",
            [id_hash, staff, iso(now), iso(expires_at), iso(now), client[:200]],
        )

    def session(self, id_hash: str) -> Session | None:
        """A session by the hash of its id, live or not."""
        row = self.db.one("SELECT * FROM console_sessions WHERE id_hash = ?", [id_hash])
        return _session(row) if row else None

    def touch(self, id_hash: str, now: datetime) -> None:
        """Note that the session was used (shown to staff on the sessions page)."""
        self.db.execute(
            "UPDATE console_sessions SET last_seen_at = ? WHERE id_hash = ?", [iso(now), id_hash]
        )

    def revoke(self, id_hash: str, by: str, now: datetime) -> bool:
        """End a session now; False if it was already ended."""
        cursor = self.db.execute(
            "UPDATE console_sessions SET revoked_at = ?, revoked_by = ? WHERE id_hash = ?"
            " AND revoked_at IS NULL",
            [iso(now), by, id_hash],
        )
        return cursor.rowcount == 1

    def live_sessions(self, now: datetime, staff: str | None = None) -> list[Session]:
        """Sessions not revoked nor expired (of one staff member, or everyone's), newest first."""
        sql = "SELECT * FROM console_sessions WHERE revoked_at IS NULL AND expires_at > ?"
        params: list[object] = [iso(now)]
        if staff is not None:
            sql += " AND staff = ?"
            params.append(staff)
        return [_session(row) for row in self.db.query(sql + " ORDER BY created_at DESC", params)]

    def record_failure(self, source: str, now: datetime) -> None:
        """Count one failed sign-in from an address."""
        self.db.execute(
            "INSERT INTO console_signin_failures (source, created_at) VALUES (?, ?)",
            [source, iso(now)],
        )

    def failures_since(self, source: str, since: datetime) -> int:
        """Failed sign-ins from an address since a moment."""
        return int(
            self.db.scalar(
                "SELECT count(*) FROM console_signin_failures WHERE source = ?"
                " AND created_at >= ?",
                [source, iso(since)],
            )
        )
