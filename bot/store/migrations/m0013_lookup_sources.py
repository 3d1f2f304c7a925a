"""Migration 0013_lookup_sources: where each failed second factor came from (a web visitor's
address), so guessing is limited by what an attacker cannot mint for free."""

from __future__ import annotations

from bot.store.database import Database

ID = "0013_lookup_sources"


def apply(db: Database) -> None:
    """The source of each failed try, indexed, and the index for counting over all orders."""
    db.executescript(
        """
        ALTER TABLE order_lookup_failures ADD COLUMN source TEXT NOT NULL DEFAULT '';
        CREATE INDEX order_lookup_failures_source
            ON order_lookup_failures(source, created_at) WHERE source <> '';
        CREATE INDEX order_lookup_failures_time ON order_lookup_failures(created_at);
        """
    )
