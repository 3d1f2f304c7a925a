"""The conversation log: every message in and every reply out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.core.clock import iso, parse_iso
from bot.store.database import Database


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One line of a conversation."""

    id: int
    customer_id: str
    platform: str
    chat_id: str
    direction: str  # "in" or "out"
    kind: str
    text: str
    payload: str | None
    message_id: str | None
    source_id: str | None
    route: str | None
    created_at: datetime


class Conversations:
    """Appends to and reads the conversation log."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def append(
        self, *, customer_id: str, platform: str, chat_id: str, direction: str, kind: str,
        text: str, now: datetime, payload: str | None = None, message_id: str | None = None,
        source_id: str | None = None, route: str | None = None, once: bool = False,
    ) -> int:
        """Log one message; returns its log id.

        With `once`, nothing is written (and 0 returned) if the same platform message is
        logged in this direction already: a delivery taken over after a crash was logged by
        the process that died.
        """
        values = [customer_id, platform, chat_id, direction, kind, text, payload, message_id,
                  source_id, route, iso(now)]
        columns = ("INSERT INTO conversation_log (customer_id, platform, chat_id, direction,"
                   " kind, text, payload, message_id, source_id, route, created_at)")
        if once:
            cursor = self.db.execute(
                columns + " SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1"
                " FROM conversation_log WHERE platform = ? AND source_id = ? AND message_id = ?"
                " AND direction = ?)",
                [*values, platform, source_id, message_id, direction],
            )
            return int(cursor.lastrowid or 0) if cursor.rowcount == 1 else 0
        cursor = self.db.execute(columns + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", values)
        return int(cursor.lastrowid or 0)

    def edit_inbound(self, platform: str, source_id: str, text: str) -> bool:
        """Replace the text of a logged inbound message (the customer edited it)."""
        cursor = self.db.execute(
            "UPDATE conversation_log SET text = ? WHERE platform = ? AND source_id = ?"
            " AND direction = 'in'",
            [text, platform, source_id],
        )
        return cursor.rowcount > 0

    def recent(
        self, customer_id: str, limit: int = 20, after_id: int = 0, platform: str | None = None
    ) -> list[LogEntry]:
        """The latest `limit` lines of a customer's conversation, oldest first.

        With `platform`, only the lines of that channel (a web chat shows its own lines).
        """
        rows = list(
            self.db.query(
                "SELECT * FROM conversation_log WHERE customer_id = ? AND id > ?"
                " AND (CAST(? AS TEXT) IS NULL OR platform = ?) ORDER BY id DESC LIMIT ?",
                [customer_id, after_id, platform, platform, limit],
            )
        )
        return [
            LogEntry(**{**row, "created_at": parse_iso(row["created_at"])})
            for row in reversed(rows)
        ]

    def count(self, direction: str | None = None) -> int:
        """How many lines are logged (optionally in one direction)."""
        if direction is None:
            return int(self.db.scalar("SELECT count(*) FROM conversation_log"))
        return int(
            self.db.scalar(
                "SELECT count(*) FROM conversation_log WHERE direction = ?", [direction]
            )
        )

    def delete_before(self, cutoff: datetime, batch: int = 2000) -> int:
        """Delete up to `batch` of the oldest lines logged before `cutoff`; how many went.

        Only the `batch` lowest ids are looked at (ids grow with time), so a round never
        scans the table and holds the write lock only briefly; call again while it returns
        a full batch.
        """
        cursor = self.db.execute(
            "DELETE FROM conversation_log WHERE id IN (SELECT id FROM conversation_log"
            " ORDER BY id LIMIT ?) AND created_at < ?",
            [batch, iso(cutoff)],
        )
        return cursor.rowcount
