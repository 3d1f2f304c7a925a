"""Small named values with an optional expiry: tokens, polling offsets, counters."""

from __future__ import annotations

from datetime import datetime

from bot.core.clock import iso
from bot.store.database import Database


class KeyValues:
    """A key-value table shared by every process using the same store."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def get(self, key: str, now: datetime | None = None) -> str | None:
        """The value of `key`, unless it expired before `now`."""
        row = self.db.one("SELECT value, expires_at FROM kv WHERE key = ?", [key])
        if row is None:
            return None
        if now is not None and row["expires_at"] is not None and row["expires_at"] <= iso(now):
            return None
        return str(row["value"])

    def set(
        self, key: str, value: str, now: datetime, expires_at: datetime | None = None
    ) -> None:
        """Store `value` under `key`."""
        self.db.execute(
            "INSERT INTO kv (key, value, expires_at, updated_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT(key) DO UPDATE SET value = excluded.value,"
            " expires_at = excluded.expires_at, updated_at = excluded.updated_at",
            [key, value, iso(expires_at) if expires_at else None, iso(now)],
        )

    def add(self, key: str, value: str, now: datetime, expires_at: datetime | None = None) -> bool:
        """Store `value` unless `key` holds an unexpired value; whether it was stored."""
        cursor = self.db.execute(
            "INSERT INTO kv (key, value, expires_at, updated_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT(key) DO UPDATE SET value = excluded.value,"
            " expires_at = excluded.expires_at, updated_at = excluded.updated_at"
            " WHERE kv.expires_at IS NOT NULL AND kv.expires_at <= ?",
            [key, value, iso(expires_at) if expires_at else None, iso(now), iso(now)],
        )
        return cursor.rowcount == 1

    def delete(self, key: str) -> None:
        """Forget `key`."""
        self.db.execute("DELETE FROM kv WHERE key = ?", [key])

    def delete_expired(self, now: datetime, batch: int = 2000) -> int:
        """Remove up to `batch` values that expired before `now` (reads already skip them)."""
        cursor = self.db.execute(
            "DELETE FROM kv WHERE key IN (SELECT key FROM kv WHERE expires_at IS NOT NULL"
            " AND expires_at <= ? ORDER BY expires_at LIMIT ?)",
            [iso(now), batch],
        )
        return cursor.rowcount

    def claim(
        self, key: str, value: str, now: datetime, expires_at: datetime | None = None
    ) -> str:
        """Store `value` under `key` unless a live value is there; return the value that is.

        The first of several processes or tasks to claim a key wins, and keeps winning when it
        asks again (a redelivery, a resumed message).
        """
        with self.db.transaction():
            current = self.get(key, now)
            if current is not None:
                return current
            self.set(key, value, now, expires_at)
        return value
