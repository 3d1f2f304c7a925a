"""Daily check-ins: one a calendar day (in the brand's time zone) per account, with streaks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from bot.core.clock import iso
from bot.store.database import Database
from bot.store.rewards.ledger import Ledger


@dataclass(frozen=True, slots=True)
class CheckinResult:
    """What one check-in did: `fresh` False means the account had already checked in today."""

    fresh: bool
    day: date
    streak: int
    points: int = 0
    bonus: int = 0
    first: bool = False  # the account's first check-in ever


class Checkins:
    """Check-in days and streaks; the points themselves go through the ledger."""

    def __init__(self, db: Database, loyalty: Ledger) -> None:
        self.db = db
        self.loyalty = loyalty

    def streak_on(self, customer_id: str, day: date) -> int:
        """The streak of the account's check-in on `day` (0 if none)."""
        members = self.loyalty.members(customer_id)
        marks = ", ".join("?" for _ in members)
        value = self.db.scalar(
            f"SELECT max(streak) FROM checkins WHERE customer_id IN ({marks}) AND day = ?",
            [*members, day.isoformat()],
        )
        return int(value or 0)

    def count(self, customer_id: str) -> int:
        """How many days the account has checked in."""
        members = self.loyalty.members(customer_id)
        marks = ", ".join("?" for _ in members)
        return int(self.db.scalar(
            f"SELECT count(DISTINCT day) FROM checkins WHERE customer_id IN ({marks})", members
        ))

    def bonus_for(self, streak: int) -> int:
        """The streak bonus earned on the streak's `streak`-th day."""
        table = dict(self.loyalty.rules.streak_bonus)
        if not table:
            return 0
        cycle = max(table)
        if self.loyalty.rules.streak_repeat and streak > cycle:
            streak = (streak - 1) % cycle + 1
        return table.get(streak, 0)

    def next_milestone(self, streak: int) -> tuple[int, int] | None:
        """(days still to go, bonus) of the next streak bonus after `streak` days, if any."""
        for day in range(streak + 1, streak + 1 + 366):
            bonus = self.bonus_for(day)
            if bonus:
                return day - streak, bonus
            if not self.loyalty.rules.streak_repeat and day > max(
                dict(self.loyalty.rules.streak_bonus), default=0
            ):
                return None
        return None

    def check_in(self, customer_id: str, delivery_key: str, now: datetime) -> CheckinResult:
        """Check in for today: record the day and credit the points, all in one transaction."""
        rules = self.loyalty.rules
        root = self.loyalty.root(customer_id)
        today = now.astimezone(self.loyalty.zone).date()
        with self.db.transaction():
            existing = self.streak_on(root, today)
            if existing:
                return CheckinResult(False, today, existing)
            first = self.count(root) == 0
            streak = self.streak_on(root, today - timedelta(days=1)) + 1
            self.db.execute(
                "INSERT INTO checkins (customer_id, day, streak, delivery_key, created_at)"
                " VALUES (?, ?, ?, ?, ?)",
                [root, today.isoformat(), streak, delivery_key, iso(now)],
            )
            points = rules.checkin_points
            if points:
                self.loyalty.award(root, points, "checkin", today.isoformat(),
                                   f"{delivery_key}:checkin", now)
            bonus = self.bonus_for(streak)
            if bonus:
                self.loyalty.award(root, bonus, "streak_bonus", f"{today.isoformat()}:{streak}",
                                   f"{delivery_key}:streak", now)
        return CheckinResult(True, today, streak, points, bonus, first)
