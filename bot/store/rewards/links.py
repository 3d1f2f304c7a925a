"""Cross-platform identity linking: a short-lived one-time code merges two customers into one."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from enum import StrEnum

from bot.core.clock import iso
from bot.store.database import Database
from bot.store.merging import move_customer
from bot.store.rewards.ledger import Ledger

LINK_CODE_DIGITS = 6
# Wrong codes allowed per window: per account, per address (web visitors) and in all, so a
# million codes cannot be tried. The limit in all stops only senders no app vouches for
# (fresh web ids cost nothing); app customers, each held to their own limit, link on.
FAILURES_PER_CUSTOMER = 5
FAILURES_PER_SOURCE = 10
FAILURES_IN_ALL = 50
FAILURE_WINDOW = timedelta(minutes=10)


class Linked(StrEnum):
    """The outcome of sending a link code."""

    MERGED = "merged"
    UNKNOWN = "unknown"  # no such code, expired, or used already
    SAME = "same"  # the code belongs to this very account
    LIMITED = "limited"  # too many wrong codes lately: try again later


class Links:
    """Issues link codes and merges the two accounts when one is used."""

    def __init__(self, db: Database, loyalty: Ledger) -> None:
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

    def _count(self, key: str, now: datetime) -> int:
        """Wrong codes counted under `key` in its current window."""
        value = self.db.scalar(
            "SELECT value FROM kv WHERE key = ? AND expires_at > ?", [key, iso(now)]
        )
        return int(value) if value else 0

    def _fail(self, key: str, now: datetime) -> None:
        """One more wrong code in the current window (which starts at the first one)."""
        row = self.db.one("SELECT value, expires_at FROM kv WHERE key = ?", [key])
        if row is None or (row["expires_at"] or "") <= iso(now):
            self.db.execute(
                "INSERT INTO kv (key, value, expires_at, updated_at) VALUES (?, '1', ?, ?)"
                " ON CONFLICT(key) DO UPDATE SET value = '1', expires_at = excluded.expires_at,"
                " updated_at = excluded.updated_at",
                [key, iso(now + FAILURE_WINDOW), iso(now)],
            )
        else:
            self.db.execute(
                "UPDATE kv SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT), updated_at = ?"
                " WHERE key = ?",
                [iso(now), key],
            )

    def use(
        self, code: str, customer_id: str, now: datetime, *, source: str = "",
        vouched: bool = True,
    ) -> Linked:
        """Merge the sender's account into the code owner's; a code works exactly once.

        `source` is where an unvouched sender came from (a web visitor's address); `vouched`
        says whether an app vouches for the sender (a WeChat, Telegram, WhatsApp identity).
        """
        code = code.strip()
        limits = {f"link-failures:{customer_id}": FAILURES_PER_CUSTOMER}
        if source:
            limits[f"link-failures:source:{source}"] = FAILURES_PER_SOURCE
        if not vouched:
            limits["link-failures:all"] = FAILURES_IN_ALL
        # Every wrong code counts in all, whoever sent it.
        counters = dict.fromkeys([*limits, "link-failures:all"])
        with self.db.transaction():
            if any(self._count(key, now) >= limit for key, limit in limits.items()):
                return Linked.LIMITED
            owner = self.db.scalar(
                "SELECT customer_id FROM link_codes WHERE code = ? AND used_at IS NULL"
                " AND expires_at > ?",
                [code, iso(now)],
            )
            if owner is None:
                for key in counters:
                    self._fail(key, now)
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
            # Everything else of the customer follows (identities, history, verified orders,
            # phones …), so every later message resolves to one customer who lost nothing.
            move_customer(self.db, survivor, absorbed)
        return Linked.MERGED
