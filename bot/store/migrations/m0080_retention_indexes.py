"""Migration 0080_retention_indexes: what the retention job deletes by age, found by index
(expired key-values, old dead letters), so a round never scans a table."""

from __future__ import annotations

from bot.store.database import Database

ID = "0080_retention_indexes"


def apply(db: Database) -> None:
    """Indexes on the key-values' expiry and the dead letters' arrival."""
    db.executescript(
        """
        CREATE INDEX kv_expires ON kv(expires_at) WHERE expires_at IS NOT NULL;
        CREATE INDEX dead_letters_received ON dead_letters(received_at);
        """
    )
