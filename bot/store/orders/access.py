"""Who may see an order: linked phones, orders a customer verified, and the order's owners."""

from __future__ import annotations

from datetime import datetime

from bot.core.clock import iso
from bot.core.order import Order, order_from_row, phone_digits, same_phone
from bot.store.database import Database

TAIL = 8  # phone numbers are indexed by their last digits; same_phone decides the rest


def phone_tail(phone: str) -> str:
    """The indexed part of a phone number."""
    return phone_digits(phone)[-TAIL:]


class OrderAccess:
    """Proofs of ownership: phones, verifications, and who owns an order."""

    def __init__(self, db: Database) -> None:
        self.db = db


    def link_phone(self, customer_id: str, phone: str, now: datetime, source: str = "") -> None:
        """Remember a phone number proven to belong to a customer."""
        self.db.execute(
            "INSERT OR IGNORE INTO customer_phones (customer_id, phone, phone_tail, source,"
            " created_at) VALUES (?, ?, ?, ?, ?)",
            [customer_id, phone_digits(phone), phone_tail(phone), source, iso(now)],
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
        tails = sorted({phone_tail(phone) for phone in phones if len(phone_digits(phone)) >= 7})
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
        tail = phone_tail(phone)
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
