"""Customers as staff look them up: by name or platform id, with handoffs and referrals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.core.clock import parse_iso
from bot.store.conversations import LogEntry
from bot.store.database import Database
from bot.store.staff.handoffs import Handoff, handoff_of_row


@dataclass(frozen=True, slots=True)
class IdentityDetail:
    """One platform account of a customer, with what staff want to know about it."""

    platform: str
    user_id: str
    display_name: str
    last_inbound_at: datetime | None
    unreachable: bool


@dataclass(frozen=True, slots=True)
class Referral:
    """Who invited whom, and how far it got."""

    referrer_id: str
    referred_id: str
    status: str
    created_at: datetime


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


class CustomerDirectory:
    """Read-only lookups across customers, identities, handoffs and referrals."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def search(self, text: str, limit: int = 20) -> list[str]:
        """Customer ids whose id, name, platform id or identity name contains `text`."""
        pattern = _like(text.strip())
        return [
            row["id"]
            for row in self.db.query(
                "SELECT c.id FROM customers c WHERE c.id = ? OR c.display_name LIKE ? ESCAPE '\\'"
                " OR EXISTS (SELECT 1 FROM identities i WHERE i.customer_id = c.id AND"
                " (i.user_id LIKE ? ESCAPE '\\' OR i.display_name LIKE ? ESCAPE '\\'"
                " OR i.platform || ':' || i.user_id = ?))"
                " ORDER BY c.created_at DESC LIMIT ?",
                [text.strip(), pattern, pattern, pattern, text.strip(), limit],
            )
        ]

    def identities(self, customer_id: str) -> list[IdentityDetail]:
        """Every identity of one customer, most recently active first."""
        return [
            IdentityDetail(
                platform=row["platform"], user_id=row["user_id"],
                display_name=row["display_name"],
                last_inbound_at=parse_iso(row["last_inbound_at"])
                if row["last_inbound_at"] else None,
                unreachable=bool(row["unreachable"]),
            )
            for row in self.db.query(
                "SELECT * FROM identities WHERE customer_id = ?"
                " ORDER BY last_inbound_at DESC, created_at",
                [customer_id],
            )
        ]

    def handoffs(self, customer_ids: list[str], limit: int = 20) -> list[Handoff]:
        """The handoffs of these customers (one person's linked accounts), newest first."""
        marks = ", ".join("?" for _ in customer_ids) or "NULL"
        rows = self.db.query(
            f"SELECT * FROM handoffs WHERE customer_id IN ({marks}) ORDER BY id DESC LIMIT ?",
            [*customer_ids, limit],
        )
        return [handoff_of_row(row) for row in rows]

    def recently_closed(self, limit: int = 20) -> list[Handoff]:
        """The latest closed handoffs (with their ratings), newest first."""
        rows = self.db.query(
            "SELECT * FROM handoffs WHERE status = 'closed' ORDER BY closed_at DESC LIMIT ?",
            [limit],
        )
        return [handoff_of_row(row) for row in rows]

    def referrals(self, customer_ids: list[str]) -> list[Referral]:
        """Referrals these customers made or came through, newest first."""
        marks = ", ".join("?" for _ in customer_ids) or "NULL"
        rows = self.db.query(
            f"SELECT * FROM referrals WHERE referrer_id IN ({marks}) OR referred_id IN ({marks})"
            " ORDER BY created_at DESC",
            [*customer_ids, *customer_ids],
        )
        return [
            Referral(row["referrer_id"], row["referred_id"], row["status"],
                     parse_iso(row["created_at"]))
            for row in rows
        ]

    def transcript(
        self, customer_ids: list[str], limit: int = 50, before_id: int = 0, after_id: int = 0
    ) -> list[LogEntry]:
        """The conversation of these customers on every platform, oldest first.

        `before_id` pages back; `after_id` returns only lines newer than one already shown.
        """
        marks = ", ".join("?" for _ in customer_ids) or "NULL"
        rows = list(
            self.db.query(
                f"SELECT * FROM conversation_log WHERE customer_id IN ({marks})"
                " AND id > ? AND (? = 0 OR id < ?) ORDER BY id DESC LIMIT ?",
                [*customer_ids, after_id, before_id, before_id, limit],
            )
        )
        return [
            LogEntry(**{**row, "created_at": parse_iso(row["created_at"])})
            for row in reversed(rows)
        ]
