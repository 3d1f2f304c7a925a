"""Migration 0081_outbox_unfinished: the unfinished rows of each platform in id order, so a
claim reads the queue's oldest rows and stops, however many rows were sent before or wait."""

from __future__ import annotations

from bot.store.database import Database

ID = "0081_outbox_unfinished"


def apply(db: Database) -> None:
    """A partial index over pending and sending rows, by platform then id."""
    db.executescript(
        """
        CREATE INDEX outbox_unfinished ON outbox(platform, id)
            WHERE status IN ('pending', 'sending');
        """
    )
