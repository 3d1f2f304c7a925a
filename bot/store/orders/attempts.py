"""Failed second factors: counted per customer, per source, per order and over all orders,
and the pauses they cause."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from bot.core.clock import iso, parse_iso
from bot.store.database import Database


class LookupAttempts:
    """Failed tries of a second factor and the lookup pauses they lead to."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def paused_until(self, customer_id: str, now: datetime) -> datetime | None:
        """When the customer's lookup pause ends, if they are paused now."""
        value = self.db.scalar(
            "SELECT paused_until FROM order_lookup_pauses WHERE customer_id = ?"
            " AND paused_until > ?",
            [customer_id, iso(now)],
        )
        return parse_iso(value) if value else None

    def record_failure(
        self, customer_id: str, number: str, now: datetime, *, limit: int, window: timedelta,
        pause: timedelta, source: str = "",
    ) -> bool:
        """Count one failed try; True if it pauses the customer."""
        with self.db.transaction():
            self.db.execute(
                "INSERT INTO order_lookup_failures (customer_id, order_number, created_at,"
                " source) VALUES (?, ?, ?, ?)",
                [customer_id, number, iso(now), source],
            )
            # Tries before the end of an earlier pause were already paid for.
            last_pause = self.db.scalar(
                "SELECT paused_until FROM order_lookup_pauses WHERE customer_id = ?",
                [customer_id],
            )
            since = max(iso(now - window), last_pause or "")
            failures = int(
                self.db.scalar(
                    "SELECT count(*) FROM order_lookup_failures WHERE customer_id = ?"
                    " AND created_at >= ?",
                    [customer_id, since],
                )
            )
            if failures < limit:
                return False
            self.db.execute(
                "INSERT INTO order_lookup_pauses (customer_id, failures, paused_at, paused_until)"
                " VALUES (?, ?, ?, ?) ON CONFLICT(customer_id) DO UPDATE SET"
                " failures = excluded.failures, paused_at = excluded.paused_at,"
                " paused_until = excluded.paused_until",
                [customer_id, failures, iso(now), iso(now + pause)],
            )
            return True

    def for_order(self, number: str, since: datetime) -> int:
        """Failed second factors for one order (from anyone) since a moment."""
        return int(self.db.scalar(
            "SELECT count(*) FROM order_lookup_failures WHERE order_number = ?"
            " AND created_at >= ?",
            [number, iso(since)],
        ))

    def from_source(self, source: str, since: datetime) -> int:
        """Failed second factors from one source (a web visitor's address) since a moment."""
        if not source:
            return 0
        return int(self.db.scalar(
            "SELECT count(*) FROM order_lookup_failures WHERE source = ? AND created_at >= ?",
            [source, iso(since)],
        ))

    def overall(self, since: datetime) -> int:
        """Failed second factors for all orders since a moment."""
        return int(self.db.scalar(
            "SELECT count(*) FROM order_lookup_failures WHERE created_at >= ?", [iso(since)]
        ))

    def paused(self, now: datetime) -> list[dict[str, Any]]:
        """Customers paused from lookups right now (for operators)."""
        return list(
            self.db.query(
                "SELECT * FROM order_lookup_pauses WHERE paused_until > ? ORDER BY paused_at",
                [iso(now)],
            )
        )
