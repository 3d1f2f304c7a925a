"""Orders by number: stored, upserted from imports, moved on by status events."""

from __future__ import annotations

import json
from datetime import datetime

from bot.core.clock import iso, parse_iso
from bot.core.order import Order, StatusMark, order_from_row
from bot.store.database import Database
from bot.store.orders.access import OrderAccess, phone_tail
from bot.store.orders.attempts import LookupAttempts
from bot.store.orders.events import ShopEvents
from bot.store.orders.pending import PendingLookups


class Orders:
    """Reads and writes orders; who may see them and the lookups around them are attributes."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.access = OrderAccess(db)
        self.attempts = LookupAttempts(db)
        self.pending = PendingLookups(db)
        self.events = ShopEvents(db)

    def count(self) -> int:
        """How many orders are stored."""
        return int(self.db.scalar("SELECT count(*) FROM orders"))

    def get(self, number: str) -> Order | None:
        """An order by its number."""
        row = self.db.one("SELECT * FROM orders WHERE number = ?", [number])
        return order_from_row(row) if row else None

    def upsert(self, order: Order, now: datetime) -> str:
        """Insert or update by number: 'inserted', 'updated' or 'unchanged'."""
        data = order.to_dict()
        data["items"] = json.dumps(data["items"], ensure_ascii=False)
        data["phone_tail"] = phone_tail(order.phone)
        with self.db.transaction():
            existing = self.db.one("SELECT * FROM orders WHERE number = ?", [order.number])
            if existing is not None and all(existing[key] == value for key, value in data.items()):
                return "unchanged"
            columns = list(data)
            if existing is None:
                self.db.execute(
                    f"INSERT INTO orders ({', '.join(columns)}, status_at, created_at, updated_at)"
                    f" VALUES ({', '.join('?' for _ in columns)}, ?, ?, ?)",
                    [*data.values(), iso(now), iso(now), iso(now)],
                )
                return "inserted"
            status_at = iso(now) if existing["status"] != order.status else existing["status_at"]
            self.db.execute(
                f"UPDATE orders SET {', '.join(f'{c} = ?' for c in columns)}, status_at = ?,"
                " updated_at = ? WHERE number = ?",
                [*data.values(), status_at, iso(now), order.number],
            )
            return "updated"

    def apply_status(
        self, number: str, status: str, now: datetime, *, status_at: datetime | None = None,
        carrier: str = "", tracking_number: str = "", expected_on: str = "",
    ) -> Order | None:
        """Record a status the shop reports, set at `status_at` (else now); None if not stored."""
        cursor = self.db.execute(
            "UPDATE orders SET status = ?, status_at = ?, updated_at = ?,"
            " carrier = CASE WHEN ? = '' THEN carrier ELSE ? END,"
            " tracking_number = CASE WHEN ? = '' THEN tracking_number ELSE ? END,"
            " expected_on = CASE WHEN ? = '' THEN expected_on ELSE ? END WHERE number = ?",
            [status, iso(status_at or now), iso(now), carrier, carrier, tracking_number,
             tracking_number, expected_on, expected_on, number],
        )
        return self.get(number) if cursor.rowcount else None

    def current_status(self, number: str) -> StatusMark | None:
        """The order's status and since when; None if it is neither stored nor in an event.

        An order that lives in the shop's API (source = "http") is not stored: the last event
        applied to it stands for its status.
        """
        row = self.db.one("SELECT status, status_at FROM orders WHERE number = ?", [number])
        if row is None:
            row = self.db.one(
                "SELECT status, coalesce(occurred_at, received_at) AS status_at"
                " FROM order_events WHERE order_number = ? AND stale = 0"
                " ORDER BY received_at DESC, rowid DESC LIMIT 1",
                [number],
            )
        if row is None:
            return None
        return StatusMark(row["status"], parse_iso(row["status_at"]) if row["status_at"] else None)
