"""Customers and their platform identities."""

from __future__ import annotations

import secrets
from dataclasses import replace
from datetime import datetime

from bot.core.clock import iso, parse_iso
from bot.core.message import Customer, Identity
from bot.store.database import Database


class Customers:
    """Who is who: one customer, one or more (platform, user_id) identities."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def resolve(
        self, platform: str, user_id: str, now: datetime, *, display_name: str = "",
        language: str | None = None, inbound: bool = True, default_language: str = "zh-Hans",
    ) -> Customer:
        """The customer behind an identity, created on first contact; records the inbound time."""
        customer_id = None
        if inbound:
            # The common case is one statement: a known identity writing again.
            customer_id = self.db.scalar(
                "UPDATE identities SET last_inbound_at = ?, unreachable = 0,"
                " display_name = CASE WHEN ? = '' THEN display_name ELSE ? END"
                " WHERE platform = ? AND user_id = ? RETURNING customer_id",
                [iso(now), display_name, display_name, platform, user_id],
            )
        else:
            customer_id = self.db.scalar(
                "SELECT customer_id FROM identities WHERE platform = ? AND user_id = ?",
                [platform, user_id],
            )
        if customer_id is None:
            customer_id = self._create(
                platform, user_id, now, display_name, language or default_language, inbound
            )
        customer = self.get(customer_id)
        assert customer is not None
        if language and customer.language != language:
            self.set_language(customer.id, language)
            customer = replace(customer, language=language)
        return customer

    def _create(
        self, platform: str, user_id: str, now: datetime, display_name: str,
        language: str | None, inbound: bool,
    ) -> str:
        """A new customer with this one identity (or the existing one if another process won)."""
        with self.db.transaction():
            existing = self.db.scalar(
                "SELECT customer_id FROM identities WHERE platform = ? AND user_id = ?",
                [platform, user_id],
            )
            if existing is not None:
                return str(existing)
            customer_id = "c" + secrets.token_hex(6)
            self.db.execute(
                "INSERT INTO customers (id, display_name, language, created_at)"
                " VALUES (?, ?, ?, ?)",
                [customer_id, display_name, language or "zh-Hans", iso(now)],
            )
            self.db.execute(
                "INSERT INTO identities (platform, user_id, customer_id, display_name,"
                " last_inbound_at, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                [platform, user_id, customer_id, display_name,
                 iso(now) if inbound else None, iso(now)],
            )
        return customer_id

    def get(self, customer_id: str) -> Customer | None:
        """A customer by id, with all identities."""
        # One statement, not two: this runs for every message.
        rows = self.db.query(
            "SELECT c.id, c.display_name, c.language, c.created_at, c.blocked,"
            " i.platform, i.user_id FROM customers c"
            " LEFT JOIN identities i ON i.customer_id = c.id WHERE c.id = ?"
            " ORDER BY i.created_at, i.platform",
            [customer_id],
        )
        if not rows:
            return None
        row = rows[0]
        identities = tuple(
            Identity(item["platform"], item["user_id"])
            for item in rows if item["platform"] is not None
        )
        return Customer(
            id=row["id"],
            identities=identities,
            display_name=row["display_name"],
            language=row["language"],
            created_at=parse_iso(row["created_at"]),
            blocked=bool(row["blocked"]),
        )

    def find(self, platform: str, user_id: str) -> Customer | None:
        """The customer behind an identity, if known."""
        customer_id = self.db.scalar(
            "SELECT customer_id FROM identities WHERE platform = ? AND user_id = ?",
            [platform, user_id],
        )
        return self.get(customer_id) if customer_id else None

    def set_language(self, customer_id: str, language: str) -> None:
        """Remember the language a customer writes in."""
        self.db.execute("UPDATE customers SET language = ? WHERE id = ?", [language, customer_id])

    def set_blocked(self, customer_id: str, blocked: bool) -> None:
        """Block or unblock a customer (an operator's decision)."""
        self.db.execute(
            "UPDATE customers SET blocked = ? WHERE id = ?", [int(blocked), customer_id]
        )

    def change_identity(self, platform: str, old_user_id: str, new_user_id: str) -> bool:
        """Move an identity to its new platform id (a WhatsApp number change); False if the
        old one is unknown or the new one already belongs to someone (nothing is merged)."""
        cursor = self.db.execute(
            "UPDATE identities SET user_id = ? WHERE platform = ? AND user_id = ?"
            " AND NOT EXISTS (SELECT 1 FROM identities WHERE platform = ? AND user_id = ?)",
            [new_user_id, platform, old_user_id, platform, new_user_id],
        )
        return cursor.rowcount > 0

    def mark_unreachable(self, platform: str, user_id: str, unreachable: bool = True) -> None:
        """Record that a platform identity cannot receive messages (it blocked or left us)."""
        self.db.execute(
            "UPDATE identities SET unreachable = ? WHERE platform = ? AND user_id = ?",
            [int(unreachable), platform, user_id],
        )

    def is_unreachable(self, platform: str, user_id: str) -> bool:
        """Whether sending to this identity is pointless."""
        return bool(
            self.db.scalar(
                "SELECT unreachable FROM identities WHERE platform = ? AND user_id = ?",
                [platform, user_id],
            )
        )

    def last_inbound_at(self, platform: str, user_id: str) -> datetime | None:
        """When this identity last wrote to us (messaging windows start there)."""
        value = self.db.scalar(
            "SELECT last_inbound_at FROM identities WHERE platform = ? AND user_id = ?",
            [platform, user_id],
        )
        return parse_iso(value) if value else None

    def reachable_identities(self, customer_id: str) -> list[Identity]:
        """The customer's identities that can receive messages, most recently active first."""
        return [
            Identity(row["platform"], row["user_id"])
            for row in self.db.query(
                "SELECT platform, user_id FROM identities WHERE customer_id = ?"
                " AND unreachable = 0 ORDER BY last_inbound_at DESC",
                [customer_id],
            )
        ]

    def identity(self, customer_id: str, platform: str) -> Identity | None:
        """The customer's identity on one platform, if any."""
        row = self.db.one(
            "SELECT platform, user_id FROM identities WHERE customer_id = ? AND platform = ?"
            " ORDER BY last_inbound_at DESC LIMIT 1",
            [customer_id, platform],
        )
        return Identity(row["platform"], row["user_id"]) if row else None

    def has_identity_beyond(self, customer_id: str, platform: str) -> bool:
        """Whether the customer has an identity on any platform other than this one."""
        return self.db.one(
            "SELECT 1 FROM identities WHERE customer_id = ? AND platform <> ? LIMIT 1",
            [customer_id, platform],
        ) is not None

    def count(self) -> int:
        """How many customers exist."""
        return int(self.db.scalar("SELECT count(*) FROM customers"))
