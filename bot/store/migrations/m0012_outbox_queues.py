"""Migration 0012_outbox_queues: each chat's queue in order, and when a re-driven row's retries
started again."""

from __future__ import annotations

from bot.store.database import Database

ID = "0012_outbox_queues"


def apply(db: Database) -> None:
    """An index over each chat's unfinished rows, and the time its retries count from."""
    db.executescript(
        """
        ALTER TABLE outbox ADD COLUMN retry_since TEXT;
        CREATE INDEX outbox_chat_queue ON outbox(platform, chat_id, id)
            WHERE status IN ('pending', 'sending');
        CREATE INDEX outbox_platform_due ON outbox(platform, status, next_attempt_at);
        """
    )
