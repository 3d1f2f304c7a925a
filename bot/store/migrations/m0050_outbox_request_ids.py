"""Migration 0050_outbox_request_ids: the request each outbox row was queued for."""

from __future__ import annotations

from bot.store.database import Database

ID = "0050_outbox_request_ids"


def apply(db: Database) -> None:
    """A column naming the request id a send belongs to, so its log lines carry it."""
    db.executescript(
        """
        ALTER TABLE outbox ADD COLUMN request_id TEXT NOT NULL DEFAULT '';
        """
    )
