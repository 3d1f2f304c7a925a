"""Lookups answered "we will message you" while the shop's API was down, until answered."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.core.clock import iso, parse_iso
from bot.store.database import Database


@dataclass(frozen=True, slots=True)
class PendingLookup:
    """A lookup answered "we will message you" while the shop's API was down."""

    id: int
    customer_id: str
    order_number: str
    factor: str | None
    language: str
    created_at: datetime


class PendingLookups:
    """The queue of lookups to answer once the shop's API is back."""

    def __init__(self, db: Database) -> None:
        self.db = db


    def add(
        self, customer_id: str, number: str, factor: str | None, language: str, now: datetime
    ) -> None:
        """Remember a lookup to answer later; one open per customer and order."""
        self.db.execute(
            "INSERT INTO order_pending_lookups (customer_id, order_number, factor, language,"
            " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)"
            " ON CONFLICT(customer_id, order_number) WHERE status = 'pending' DO UPDATE SET"
            " factor = coalesce(excluded.factor, factor), language = excluded.language,"
            " updated_at = excluded.updated_at",
            [customer_id, number, factor, language, iso(now), iso(now)],
        )

    def due(self, limit: int = 50) -> list[PendingLookup]:
        """Open pending lookups, oldest first."""
        return [
            PendingLookup(
                row["id"], row["customer_id"], row["order_number"], row["factor"],
                row["language"], parse_iso(row["created_at"]),
            )
            for row in self.db.query(
                "SELECT * FROM order_pending_lookups WHERE status = 'pending' ORDER BY id LIMIT ?",
                [limit],
            )
        ]

    def finish(self, lookup_id: int, status: str, now: datetime, note: str = "") -> bool:
        """Close a pending lookup; False if something else closed it first."""
        cursor = self.db.execute(
            "UPDATE order_pending_lookups SET status = ?, last_error = ?, updated_at = ?"
            " WHERE id = ? AND status = 'pending'",
            [status, note, iso(now), lookup_id],
        )
        return cursor.rowcount == 1

    def set_status(self, lookup_id: int, status: str, note: str, now: datetime) -> None:
        """Correct the final state of a closed lookup (e.g. it could not be delivered)."""
        self.db.execute(
            "UPDATE order_pending_lookups SET status = ?, last_error = ?, updated_at = ?"
            " WHERE id = ?",
            [status, note, iso(now), lookup_id],
        )

    def note_attempt(self, lookup_id: int, error: str, now: datetime) -> None:
        """Count one more try at a pending lookup."""
        self.db.execute(
            "UPDATE order_pending_lookups SET attempts = attempts + 1, last_error = ?,"
            " updated_at = ? WHERE id = ?",
            [error, iso(now), lookup_id],
        )

    def status(self, lookup_id: int) -> str | None:
        """The state of one pending lookup."""
        value = self.db.scalar(
            "SELECT status FROM order_pending_lookups WHERE id = ?", [lookup_id]
        )
        return str(value) if value is not None else None
