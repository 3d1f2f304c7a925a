"""Where an account stands: its tier by points earned, and the monthly leaderboard."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from bot.config.rewards import TIERS
from bot.core.clock import iso
from bot.store.database import Database
from bot.store.rewards.ledger import NOT_EARNED, Ledger


def _marks(values: list[str]) -> str:
    return ", ".join("?" for _ in values)


class Standing:
    """Tiers and the leaderboard, derived from the ledger."""

    def __init__(self, db: Database, loyalty: Ledger) -> None:
        self.db = db
        self.loyalty = loyalty

    def tier_points(self, customer_id: str, now: datetime) -> int:
        """Points earned in the rolling tier period ending now."""
        period = timedelta(days=self.loyalty.rules.tier_period_days)
        return self.loyalty.earned(customer_id, now - period)

    def tier(self, customer_id: str, now: datetime) -> str:
        """'bronze', 'silver' or 'gold' by points earned in the rolling period."""
        points = self.tier_points(customer_id, now)
        return [tier for tier in TIERS if points >= self.loyalty.rules.threshold(tier)][-1]

    def month_start(self, now: datetime) -> datetime:
        """The start of the current calendar month in the brand's time zone."""
        local = now.astimezone(self.loyalty.zone)
        return datetime.combine(local.date().replace(day=1), time(), self.loyalty.zone)

    def ranking(self, now: datetime) -> list[tuple[str, int]]:
        """Accounts by points earned this month (opted-out accounts left out), best first."""
        rows = self.db.query(
            "SELECT coalesce(m.survivor_id, l.customer_id) AS account, sum(l.points) AS earned"
            " FROM ledger l LEFT JOIN loyalty_merges m ON m.absorbed_id = l.customer_id"
            f" WHERE l.points > 0 AND l.reason NOT IN ({_marks(list(NOT_EARNED))})"
            " AND l.created_at >= ? AND l.created_at <= ?"
            " GROUP BY account ORDER BY earned DESC, min(l.id)",
            [*NOT_EARNED, iso(self.month_start(now)), iso(now)],
        )
        hidden = {
            str(row["customer_id"])
            for row in self.db.query("SELECT customer_id FROM leaderboard_optouts")
        }
        return [
            (str(row["account"]), int(row["earned"]))
            for row in rows if str(row["account"]) not in hidden
        ]

    def set_leaderboard_visible(self, customer_id: str, visible: bool, now: datetime) -> None:
        """Opt an account out of (or back into) the leaderboard."""
        root = self.loyalty.root(customer_id)
        if visible:
            self.db.execute("DELETE FROM leaderboard_optouts WHERE customer_id = ?", [root])
        else:
            self.db.execute(
                "INSERT OR IGNORE INTO leaderboard_optouts (customer_id, created_at)"
                " VALUES (?, ?)",
                [root, iso(now)],
            )

    def is_leaderboard_visible(self, customer_id: str) -> bool:
        """Whether the account shows on the leaderboard."""
        root = self.loyalty.root(customer_id)
        return self.db.scalar(
            "SELECT 1 FROM leaderboard_optouts WHERE customer_id = ?", [root]
        ) is None
