"""Orders, who may see them (linked phones, verified orders), failed tries, pauses, events."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.clock import iso, parse_iso
from bot.order import Order, order_from_row, phone_digits, same_phone
from bot.order_status import StatusMark
from bot.store.database import Database

TAIL = 8  # phone numbers are indexed by their last digits; same_phone decides the rest


def migrate_orders(db: Database) -> None:
    """0005_orders: the tables of order lookup."""
    db.executescript(
        """
        CREATE TABLE orders (
            number TEXT PRIMARY KEY,
            status TEXT NOT NULL,
            items TEXT NOT NULL,
            amount TEXT NOT NULL,
            currency TEXT NOT NULL DEFAULT 'CNY',
            carrier TEXT NOT NULL DEFAULT '',
            tracking_number TEXT NOT NULL DEFAULT '',
            expected_on TEXT NOT NULL DEFAULT '',
            phone TEXT NOT NULL DEFAULT '',
            phone_tail TEXT NOT NULL DEFAULT '',
            email TEXT NOT NULL DEFAULT '',
            customer_id TEXT NOT NULL DEFAULT '',
            province TEXT NOT NULL DEFAULT '',
            city TEXT NOT NULL DEFAULT '',
            address TEXT NOT NULL DEFAULT '',
            placed_at TEXT NOT NULL DEFAULT '',
            status_at TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX orders_customer ON orders(customer_id);
        CREATE INDEX orders_phone ON orders(phone_tail);
        CREATE TABLE customer_phones (
            customer_id TEXT NOT NULL,
            phone TEXT NOT NULL,
            phone_tail TEXT NOT NULL,
            source TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            PRIMARY KEY (customer_id, phone)
        );
        CREATE INDEX customer_phones_tail ON customer_phones(phone_tail);
        CREATE TABLE order_access (
            customer_id TEXT NOT NULL,
            order_number TEXT NOT NULL,
            how TEXT NOT NULL,
            verified_at TEXT NOT NULL,
            PRIMARY KEY (customer_id, order_number)
        );
        CREATE INDEX order_access_number ON order_access(order_number);
        CREATE TABLE order_lookup_failures (
            id INTEGER PRIMARY KEY,
            customer_id TEXT NOT NULL,
            order_number TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        CREATE INDEX order_lookup_failures_customer
            ON order_lookup_failures(customer_id, created_at);
        CREATE TABLE order_lookup_pauses (
            customer_id TEXT PRIMARY KEY,
            failures INTEGER NOT NULL,
            paused_at TEXT NOT NULL,
            paused_until TEXT NOT NULL
        );
        CREATE TABLE order_pending_lookups (
            id INTEGER PRIMARY KEY,
            customer_id TEXT NOT NULL,
            order_number TEXT NOT NULL,
            factor TEXT,
            language TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'delivered', 'undelivered', 'expired')),
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE UNIQUE INDEX order_pending_open
            ON order_pending_lookups(customer_id, order_number) WHERE status = 'pending';
        CREATE TABLE order_events (
            event_id TEXT PRIMARY KEY,
            order_number TEXT NOT NULL,
            status TEXT NOT NULL,
            body TEXT NOT NULL,
            result TEXT,
            received_at TEXT NOT NULL
        );
        """
    )


def migrate_order_event_times(db: Database) -> None:
    """0010_order_event_times: the shop's time of each event, and whether it came too late."""
    db.executescript(
        """
        ALTER TABLE order_events ADD COLUMN occurred_at TEXT;
        ALTER TABLE order_events ADD COLUMN stale INTEGER NOT NULL DEFAULT 0;
        CREATE INDEX order_events_order ON order_events(order_number, received_at);
        """
    )


@dataclass(frozen=True, slots=True)
class PendingLookup:
    """A lookup answered "we will message you" while the shop's API was down."""

    id: int
    customer_id: str
    order_number: str
    factor: str | None
    language: str
    created_at: datetime


def _tail(phone: str) -> str:
    return phone_digits(phone)[-TAIL:]


class Orders:
    """Reads and writes orders and everything about who may see them."""

    def __init__(self, db: Database) -> None:
        self.db = db

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
        data["phone_tail"] = _tail(order.phone)
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

    # Who may see an order.

    def link_phone(self, customer_id: str, phone: str, now: datetime, source: str = "") -> None:
        """Remember a phone number proven to belong to a customer."""
        self.db.execute(
            "INSERT OR IGNORE INTO customer_phones (customer_id, phone, phone_tail, source,"
            " created_at) VALUES (?, ?, ?, ?, ?)",
            [customer_id, phone_digits(phone), _tail(phone), source, iso(now)],
        )

    def phones(self, customer_id: str) -> list[str]:
        """The customer's proven phone numbers: linked ones and WhatsApp ids (which are phones)."""
        rows = self.db.query(
            "SELECT phone FROM customer_phones WHERE customer_id = ? UNION"
            " SELECT user_id FROM identities WHERE customer_id = ? AND platform = 'whatsapp'",
            [customer_id, customer_id],
        )
        return [row["phone"] for row in rows]

    def grant(self, customer_id: str, number: str, how: str, now: datetime) -> None:
        """Remember that a customer proved an order is theirs."""
        self.db.execute(
            "INSERT OR IGNORE INTO order_access (customer_id, order_number, how, verified_at)"
            " VALUES (?, ?, ?, ?)",
            [customer_id, number, how, iso(now)],
        )

    def has_access(self, customer_id: str, number: str) -> bool:
        """Whether the customer verified this order before."""
        return bool(
            self.db.scalar(
                "SELECT 1 FROM order_access WHERE customer_id = ? AND order_number = ?",
                [customer_id, number],
            )
        )

    def verified_numbers(self, customer_id: str) -> list[str]:
        """Order numbers the customer verified, most recent first."""
        return [
            row["order_number"]
            for row in self.db.query(
                "SELECT order_number FROM order_access WHERE customer_id = ?"
                " ORDER BY verified_at DESC",
                [customer_id],
            )
        ]

    def owns(self, customer_id: str, order: Order) -> bool:
        """Linked customer id, a linked phone, or an earlier verification."""
        if order.customer_id and order.customer_id == customer_id:
            return True
        if order.phone and any(same_phone(order.phone, p) for p in self.phones(customer_id)):
            return True
        return self.has_access(customer_id, order.number)

    def for_customer(self, customer_id: str, limit: int) -> list[Order]:
        """The customer's stored orders (any ownership proof), most recent first."""
        phones = self.phones(customer_id)
        tails = sorted({_tail(phone) for phone in phones if len(phone_digits(phone)) >= 7})
        rows = self.db.query(
            "SELECT * FROM orders WHERE customer_id = ?"
            " OR number IN (SELECT order_number FROM order_access WHERE customer_id = ?)"
            f" OR phone_tail IN ({', '.join('?' for _ in tails) or 'NULL'})"
            " ORDER BY placed_at DESC, created_at DESC",
            [customer_id, customer_id, *tails],
        )
        orders = [order_from_row(row) for row in rows]
        return [order for order in orders if self.owns(customer_id, order)][:limit]

    def owners(self, number: str, *, phone: str = "", customer_id: str = "") -> list[str]:
        """Every customer who may see an order (linked id, verified it, or a linked phone)."""
        found: list[str] = [customer_id] if customer_id else []
        found += [
            row["customer_id"]
            for row in self.db.query(
                "SELECT customer_id FROM order_access WHERE order_number = ?"
                " ORDER BY verified_at",
                [number],
            )
        ]
        tail = _tail(phone)
        if len(tail) == TAIL:
            rows = self.db.query(
                "SELECT customer_id, phone FROM customer_phones WHERE phone_tail = ? UNION"
                " SELECT customer_id, user_id FROM identities WHERE platform = 'whatsapp'"
                " AND substr(user_id, -8) = ?",
                [tail, tail],
            )
            found += [row["customer_id"] for row in rows if same_phone(row["phone"], phone)]
        return list(dict.fromkeys(found))

    def is_verified(self, customer_id: str) -> bool:
        """Whether the customer has proven any order or phone is theirs."""
        return bool(self.phones(customer_id) or self.verified_numbers(customer_id)) or bool(
            self.db.scalar("SELECT 1 FROM orders WHERE customer_id = ? LIMIT 1", [customer_id])
        )

    # Failed tries and pauses.

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
        pause: timedelta,
    ) -> bool:
        """Count one failed try; True if it pauses the customer."""
        with self.db.transaction():
            self.db.execute(
                "INSERT INTO order_lookup_failures (customer_id, order_number, created_at)"
                " VALUES (?, ?, ?)",
                [customer_id, number, iso(now)],
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

    def is_order_locked(
        self, number: str, now: datetime, *, limit: int, window: timedelta
    ) -> bool:
        """Whether an order had `limit` failed second factors (from anyone) within `window`.

        A per-customer pause alone is not enough: web chat ids are chosen by the browser, so
        someone guessing the last four digits of a phone could simply change identity.
        """
        failures = self.db.scalar(
            "SELECT count(*) FROM order_lookup_failures WHERE order_number = ?"
            " AND created_at >= ?",
            [number, iso(now - window)],
        )
        return int(failures) >= limit

    def paused(self, now: datetime) -> list[dict[str, Any]]:
        """Customers paused from lookups right now (for operators)."""
        return list(
            self.db.query(
                "SELECT * FROM order_lookup_pauses WHERE paused_until > ? ORDER BY paused_at",
                [iso(now)],
            )
        )

    # Lookups waiting for the shop's API.

    def add_pending(
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

    def pending(self, limit: int = 50) -> list[PendingLookup]:
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

    def finish_pending(self, lookup_id: int, status: str, now: datetime, note: str = "") -> bool:
        """Close a pending lookup; False if something else closed it first."""
        cursor = self.db.execute(
            "UPDATE order_pending_lookups SET status = ?, last_error = ?, updated_at = ?"
            " WHERE id = ? AND status = 'pending'",
            [status, note, iso(now), lookup_id],
        )
        return cursor.rowcount == 1

    def set_pending_status(self, lookup_id: int, status: str, note: str, now: datetime) -> None:
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

    def pending_status(self, lookup_id: int) -> str | None:
        """The state of one pending lookup."""
        value = self.db.scalar(
            "SELECT status FROM order_pending_lookups WHERE id = ?", [lookup_id]
        )
        return str(value) if value is not None else None

    # Status events from the shop.

    def claim_event(
        self, event_id: str, number: str, status: str, body: str, now: datetime, *,
        occurred_at: datetime | None = None, stale: bool = False,
    ) -> bool:
        """Record an event once (a stale one too, marked so); False if it was seen before."""
        cursor = self.db.execute(
            "INSERT OR IGNORE INTO order_events (event_id, order_number, status, body,"
            " received_at, occurred_at, stale) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [event_id, number, status, body, iso(now),
             iso(occurred_at) if occurred_at else None, int(stale)],
        )
        return cursor.rowcount == 1

    def set_event_result(self, event_id: str, result: dict[str, Any]) -> None:
        """Keep what handling an event did (returned again for replays)."""
        self.db.execute(
            "UPDATE order_events SET result = ? WHERE event_id = ?",
            [json.dumps(result, ensure_ascii=False), event_id],
        )

    def event_result(self, event_id: str) -> dict[str, Any] | None:
        """What handling an event did, if it has been handled."""
        value = self.db.scalar("SELECT result FROM order_events WHERE event_id = ?", [event_id])
        return dict(json.loads(value)) if value else None
