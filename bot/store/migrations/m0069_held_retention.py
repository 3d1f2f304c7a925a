"""Migration 0069_held_retention: held replies found by age, for the retention job."""

from __future__ import annotations

from bot.store.database import Database

ID = "0069_held_retention"


def apply(db: Database) -> None:
    """An index on when each held reply was kept."""
    db.executescript("CREATE INDEX held_replies_created ON held_replies(created_at);")
