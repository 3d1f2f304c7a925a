"""Migration 0011_delivery_leases: who is handling a delivery, and whether it was answered
passively (so a platform's retry can be answered again the same way)."""

from __future__ import annotations

from bot.store.database import Database

ID = "0011_delivery_leases"


def apply(db: Database) -> None:
    """A lease on each received delivery, and how its replies went."""
    db.executescript(
        """
        ALTER TABLE deliveries ADD COLUMN lease_until TEXT;
        ALTER TABLE deliveries ADD COLUMN passive INTEGER NOT NULL DEFAULT 0;
        DROP INDEX deliveries_status;
        CREATE INDEX deliveries_unhandled ON deliveries(status, lease_until)
            WHERE status = 'received';
        """
    )
