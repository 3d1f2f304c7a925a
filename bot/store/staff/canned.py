"""Canned replies: texts agents send often, kept once and inserted with a click."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.core.clock import iso
from bot.store.database import Database

LONGEST_TITLE = 80


@dataclass(frozen=True, slots=True)
class CannedReply:
    """One canned reply."""

    id: int
    title: str
    text: str


class CannedReplies:
    """Adds, changes, removes and lists canned replies."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def all(self) -> list[CannedReply]:
        """Every canned reply, by title."""
        return [
            CannedReply(row["id"], row["title"], row["text"])
            for row in self.db.query("SELECT * FROM canned_replies ORDER BY title")
        ]

    def get(self, reply_id: int) -> CannedReply | None:
        """One canned reply by id."""
        row = self.db.one("SELECT * FROM canned_replies WHERE id = ?", [reply_id])
        return CannedReply(row["id"], row["title"], row["text"]) if row else None

    def save(self, title: str, text: str, who: str, now: datetime) -> int:
        """Add a reply, or replace the text of the one with this title; returns its id."""
        return int(
            self.db.scalar(
                "INSERT INTO canned_replies (title, text, updated_by, updated_at)"
                " VALUES (?, ?, ?, ?) ON CONFLICT(title) DO UPDATE SET text = excluded.text,"
                " updated_by = excluded.updated_by, updated_at = excluded.updated_at"
                " RETURNING id",
                [title[:LONGEST_TITLE], text, who, iso(now)],
            )
        )

    def remove(self, reply_id: int) -> bool:
        """Delete one; False if there was none."""
        return self.db.execute("DELETE FROM canned_replies WHERE id = ?", [reply_id]).rowcount == 1
