"""Cross-platform identity linking: a short-lived one-time code merges two customers into one."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from bot.clock import iso
from bot.store.database import Database

if TYPE_CHECKING:
    from bot.store.loyalty import Loyalty

LINK_CODE_DIGITS = 6


class Linked(StrEnum):
    """The outcome of sending a link code."""

    MERGED = "merged"
    UNKNOWN = "unknown"  # no such code, expired, or used already
    SAME = "same"  # the code belongs to this very account


class Links:
    """Issues link codes and merges the two accounts when one is used."""

    def __init__(self, db: Database, loyalty: Loyalty) -> None:
        self.db = db
        self.loyalty = loyalty

    def issue(self, customer_id: str, now: datetime) -> str:
        """A new one-time code for this account, valid for the configured minutes."""
        root = self.loyalty.root(customer_id)
        expires_at = now + timedelta(minutes=self.loyalty.rules.link_code_minutes)
        while True:
            code = "".join(secrets.choice("0123456789") for _ in range(LINK_CODE_DIGITS))
            cursor = self.db.execute(
                "INSERT OR IGNORE INTO link_codes (code, customer_id, expires_at, created_at)"
                " VALUES (?, ?, ?, ?)",
                [code, root, iso(expires_at), iso(now)],
            )
            if cursor.rowcount == 1:
                return code

    def is_live(self, code: str, now: datetime) -> bool:
        """Whether `code` is an unused, unexpired link code."""
        return self.db.scalar(
            "SELECT 1 FROM link_codes WHERE code = ? AND used_at IS NULL AND expires_at > ?",
            [code.strip(), iso(now)],
        ) is not None

    def use(self, code: str, customer_id: str, now: datetime) -> Linked:
        """Merge the sender's account into the code owner's; a code works exactly once."""
        code = code.strip()
        with self.db.transaction():
            owner = self.db.scalar(
                "SELECT customer_id FROM link_codes WHERE code = ? AND used_at IS NULL"
                " AND expires_at > ?",
                [code, iso(now)],
            )
            if owner is None:
                return Linked.UNKNOWN
            survivor = self.loyalty.root(str(owner))
            absorbed = self.loyalty.root(customer_id)
            if survivor == absorbed:
                return Linked.SAME
            cursor = self.db.execute(
                "UPDATE link_codes SET used_by = ?, used_at = ? WHERE code = ?"
                " AND used_at IS NULL",
                [absorbed, iso(now), code],
            )
            if cursor.rowcount != 1:
                return Linked.UNKNOWN
            self.loyalty.merge(survivor, absorbed, now)
            # The customer record itself follows: identities and the conversation history
            # now belong to the survivor, so every later message resolves to one customer.
            self.db.execute(
                "UPDATE identities SET customer_id = ? WHERE customer_id = ?",
                [survivor, absorbed],
            )
            self.db.execute(
                "UPDATE conversation_log SET customer_id = ? WHERE customer_id = ?",
                [survivor, absorbed],
            )
            self.db.execute("DELETE FROM conversation_state WHERE customer_id = ?", [absorbed])
        return Linked.MERGED
