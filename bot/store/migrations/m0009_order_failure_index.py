"""Migration 0009_order_failure_index: failed second factors counted per order too."""

from __future__ import annotations

from bot.store.database import Database

ID = "0009_order_failure_index"


def apply(db: Database) -> None:
    """Failed second factors counted per order too."""
    db.execute(
        "CREATE INDEX order_lookup_failures_order"
        " ON order_lookup_failures(order_number, created_at)"
    )
