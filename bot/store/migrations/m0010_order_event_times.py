"""Migration 0010_order_event_times: each shop event's own time, and whether it came late."""

from __future__ import annotations

from bot.store.database import Database

ID = "0010_order_event_times"


def apply(db: Database) -> None:
    """Each shop event's own time, and whether it came late."""
    db.executescript(
        """
        ALTER TABLE order_events ADD COLUMN occurred_at TEXT;
        ALTER TABLE order_events ADD COLUMN stale INTEGER NOT NULL DEFAULT 0;
        CREATE INDEX order_events_order ON order_events(order_number, received_at);
        """
    )
