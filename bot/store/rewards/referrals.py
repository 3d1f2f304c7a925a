"""Referral codes and who referred whom; both sides are credited when the referral completes."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import StrEnum

from bot.core.clock import iso
from bot.store.database import Database
from bot.store.rewards.checkins import Checkins
from bot.store.rewards.ledger import Ledger

# No 0/O, 1/I/L: codes are read aloud and typed by hand.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 6


class Attach(StrEnum):
    """The outcome of arriving with a referral code."""

    LINKED = "linked"
    UNKNOWN_CODE = "unknown_code"
    SELF = "self"
    ALREADY_REFERRED = "already_referred"
    NOT_NEW = "not_new"
    CAP_REACHED = "cap_reached"


@dataclass(frozen=True, slots=True)
class Completed:
    """A referral that just completed, with the points each side got."""

    referrer_id: str
    referred_id: str
    referrer_points: int
    referred_points: int


def normalise_code(text: str) -> str:
    """A code as stored: upper case, no spaces or 'ref_' prefix."""
    text = text.strip()
    if text.lower().startswith("ref_"):
        text = text[4:]
    return text.upper()


class Referrals:
    """Personal codes, pending and completed referrals, the daily cap per referrer."""

    def __init__(self, db: Database, loyalty: Ledger, checkins: Checkins) -> None:
        self.db = db
        self.loyalty = loyalty
        self.checkins = checkins

    def codes_without(self, key_prefix: str, limit: int) -> list[str]:
        """Referral codes with no key-value entry `key_prefix + code` yet, oldest first."""
        rows = self.db.query(
            "SELECT code FROM referral_codes WHERE NOT EXISTS"
            " (SELECT 1 FROM kv WHERE kv.key = ? || referral_codes.code)"
            " ORDER BY created_at, code LIMIT ?",
            [key_prefix, limit],
        )
        return [str(row["code"]) for row in rows]

    def code_for(self, customer_id: str, now: datetime) -> str:
        """The account's personal referral code, created on first use."""
        root = self.loyalty.root(customer_id)
        with self.db.transaction():
            existing = self.db.scalar(
                "SELECT code FROM referral_codes WHERE customer_id = ?", [root]
            )
            if existing:
                return str(existing)
            while True:
                code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
                cursor = self.db.execute(
                    "INSERT OR IGNORE INTO referral_codes (code, customer_id, created_at)"
                    " VALUES (?, ?, ?)",
                    [code, root, iso(now)],
                )
                if cursor.rowcount == 1:
                    return code

    def owner(self, code: str) -> str | None:
        """The account a referral code belongs to, if the code exists."""
        owner = self.db.scalar(
            "SELECT customer_id FROM referral_codes WHERE code = ?", [normalise_code(code)]
        )
        return self.loyalty.root(str(owner)) if owner else None

    def referrer_of(self, customer_id: str) -> str | None:
        """Who referred this account (pending or completed), if anyone."""
        members = self.loyalty.members(customer_id)
        marks = ", ".join("?" for _ in members)
        referrer = self.db.scalar(
            f"SELECT referrer_id FROM referrals WHERE referred_id IN ({marks})"
            " AND status != 'cancelled' ORDER BY created_at LIMIT 1",
            members,
        )
        return self.loyalty.root(str(referrer)) if referrer else None

    def _today_count(self, referrer_id: str, now: datetime) -> int:
        local = now.astimezone(self.loyalty.zone)
        start = datetime.combine(local.date(), time(), self.loyalty.zone)
        members = self.loyalty.members(referrer_id)
        marks = ", ".join("?" for _ in members)
        return int(self.db.scalar(
            f"SELECT count(*) FROM referrals WHERE referrer_id IN ({marks})"
            " AND status != 'cancelled' AND created_at >= ? AND created_at < ?",
            [*members, iso(start), iso(start + timedelta(days=1))],
        ))

    def _did_step(self, customer_id: str) -> bool:
        """Whether the account already did the step that completes a referral."""
        if self.loyalty.rules.referral_step == "checkin":
            return self.checkins.count(customer_id) > 0
        members = self.loyalty.members(customer_id)
        marks = ", ".join("?" for _ in members)
        return self.db.scalar(
            f"SELECT 1 FROM orders WHERE customer_id IN ({marks}) UNION"
            f" SELECT 1 FROM order_access WHERE customer_id IN ({marks}) LIMIT 1",
            [*members, *members],
        ) is not None

    def attach(self, customer_id: str, code: str, now: datetime) -> Attach:
        """Link a customer to the owner of `code`, if every rule allows it."""
        root = self.loyalty.root(customer_id)
        with self.db.transaction():
            referrer = self.owner(code)
            if referrer is None:
                return Attach.UNKNOWN_CODE
            if referrer == root:
                return Attach.SELF
            if self.referrer_of(root) is not None:
                return Attach.ALREADY_REFERRED
            # Only someone who has not yet done the qualifying step can still be referred.
            if self._did_step(root):
                return Attach.NOT_NEW
            if self._today_count(referrer, now) >= self.loyalty.rules.referral_daily_cap:
                return Attach.CAP_REACHED
            self.db.execute(
                "INSERT OR IGNORE INTO referrals (referred_id, referrer_id, code, status,"
                " created_at) VALUES (?, ?, ?, 'pending', ?)",
                [root, referrer, normalise_code(code), iso(now)],
            )
        return Attach.LINKED

    def complete(self, customer_id: str, delivery_key: str, now: datetime) -> Completed | None:
        """Credit both sides of the account's pending referral (once); None if there is none."""
        rules = self.loyalty.rules
        members = self.loyalty.members(customer_id)
        marks = ", ".join("?" for _ in members)
        with self.db.transaction():
            row = self.db.one(
                f"SELECT * FROM referrals WHERE referred_id IN ({marks}) AND status = 'pending'"
                " ORDER BY created_at LIMIT 1",
                members,
            )
            if row is None:
                return None
            referrer = self.loyalty.root(str(row["referrer_id"]))
            referred = self.loyalty.root(customer_id)
            if referrer == referred:
                # The two sides became one account by linking: nobody refers themself.
                self.db.execute(
                    "UPDATE referrals SET status = 'cancelled', completed_at = ?"
                    " WHERE referred_id = ?",
                    [iso(now), row["referred_id"]],
                )
                return None
            self.db.execute(
                "UPDATE referrals SET status = 'completed', completed_at = ?"
                " WHERE referred_id = ?",
                [iso(now), row["referred_id"]],
            )
            reference = str(row["referred_id"])
            if rules.referrer_points:
                self.loyalty.award(referrer, rules.referrer_points, "referral", reference,
                                   f"{delivery_key}:referrer", now)
            if rules.referred_points:
                self.loyalty.award(referred, rules.referred_points, "referred", referrer,
                                   f"{delivery_key}:referred", now)
        return Completed(referrer, referred, rules.referrer_points, rules.referred_points)
