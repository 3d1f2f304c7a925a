"""The points ledger: append-only rows, balances derived from them, expiry.

Every query runs over an account (accounts.py); tiers and the leaderboard are in standing.py,
check-ins, referrals, linking and the catalogue in their own modules, all joined in
programme.py.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.config.rewards import RewardsSettings
from bot.core.clock import iso, parse_iso
from bot.store.database import Database
from bot.store.rewards.accounts import Accounts

EXPIRE = "expire"
# Rows that move points without anyone earning them: they count for neither tier nor leaderboard.
NOT_EARNED = ("correction", "refund")


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """One row of the ledger."""

    id: int
    customer_id: str
    points: int
    reason: str
    reference: str
    key: str
    created_at: datetime
    expires_at: datetime | None


@dataclass(frozen=True, slots=True)
class Expiring:
    """Points that will expire at one moment unless spent first."""

    points: int
    expires_at: datetime


@dataclass(slots=True)
class _Lot:
    id: int
    expires_at: str | None
    remaining: int

    def order(self) -> tuple[bool, str, int]:
        # Oldest-expiring first; points that never expire are spent last.
        return (self.expires_at is None, self.expires_at or "", self.id)


def _entry(row: dict[str, object]) -> LedgerEntry:
    expires = row["expires_at"]
    return LedgerEntry(
        id=int(str(row["id"])), customer_id=str(row["customer_id"]),
        points=int(str(row["points"])), reason=str(row["reason"]),
        reference=str(row["reference"]), key=str(row["idempotency_key"]),
        created_at=parse_iso(str(row["created_at"])),
        expires_at=parse_iso(str(expires)) if expires else None,
    )


def _marks(values: list[str]) -> str:
    return ", ".join("?" for _ in values)


class Ledger:
    """The ledger and the balances derived from it, over accounts; the programme's rules."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.rules = RewardsSettings()
        self.zone = ZoneInfo("Asia/Shanghai")
        self.accounts = Accounts(db)

    def root(self, customer_id: str) -> str:
        """The customer that holds the account a (possibly merged) customer belongs to."""
        return self.accounts.root(customer_id)

    def members(self, customer_id: str) -> list[str]:
        """Every customer id whose rows make up this customer's account."""
        return self.accounts.members(customer_id)

    def merge(self, survivor_id: str, absorbed_id: str, now: datetime) -> bool:
        """Make two accounts one (False if they already are); rows stay where they were."""
        survivor, absorbed = self.root(survivor_id), self.root(absorbed_id)
        if survivor == absorbed:
            return False
        with self.db.transaction():
            self.expire(survivor, now)
            self.expire(absorbed, now)
            self.accounts.join(survivor, absorbed, now)
        return True

    # Changing points --------------------------------------------------------------------

    def award(
        self, customer_id: str, points: int, reason: str, reference: str, key: str,
        now: datetime,
    ) -> bool:
        """Credit points; False if `key` was used before (nothing changes then)."""
        if points <= 0:
            raise ValueError("award needs a positive number of points")
        root = self.root(customer_id)
        with self.db.transaction():
            self.expire(root, now)
            return self._insert(root, points, reason, reference, key, now, self.expiry_of(now))

    def award_once(
        self, customer_id: str, points: int, reason: str, reference: str, key: str,
        now: datetime,
    ) -> bool:
        """Credit points only if the account never had a row for `reason` (e.g. a welcome gift)."""
        with self.db.transaction():
            if self.has_reason(customer_id, reason):
                return False
            return self.award(customer_id, points, reason, reference, key, now)

    def deduct(
        self, customer_id: str, points: int, reason: str, reference: str, key: str,
        now: datetime,
    ) -> bool:
        """Debit points; False if the balance is too low or `key` was used before."""
        if points <= 0:
            raise ValueError("deduct needs a positive number of points")
        root = self.root(customer_id)
        with self.db.transaction():
            if self.has_key(key) or self.balance(root, now) < points:
                return False
            return self._insert(root, -points, reason, reference, key, now, None)

    def _insert(
        self, customer_id: str, points: int, reason: str, reference: str, key: str,
        now: datetime, expires_at: datetime | None,
    ) -> bool:
        cursor = self.db.execute(
            "INSERT OR IGNORE INTO ledger (customer_id, points, reason, reference,"
            " idempotency_key, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [customer_id, points, reason, reference, key, iso(now),
             iso(expires_at) if expires_at else None],
        )
        return cursor.rowcount == 1

    def has_key(self, key: str) -> bool:
        """Whether a row with this idempotency key exists."""
        return self.db.scalar("SELECT 1 FROM ledger WHERE idempotency_key = ?", [key]) is not None

    def expiry_of(self, earned_at: datetime) -> datetime | None:
        """When points earned at `earned_at` expire under the configured policy."""
        local = earned_at.astimezone(self.zone)
        if self.rules.points_expiry == "next_year_end":
            end = datetime.combine(local.date().replace(year=local.year + 2, month=1, day=1),
                                   time(), self.zone)
            return end.astimezone(earned_at.tzinfo)
        if self.rules.points_expiry == "months":
            months = local.month - 1 + self.rules.expiry_months
            year, month = local.year + months // 12, months % 12 + 1
            day = min(local.day, calendar.monthrange(year, month)[1])
            return local.replace(year=year, month=month, day=day).astimezone(earned_at.tzinfo)
        return None

    # Reading the ledger -----------------------------------------------------------------

    def _rows(self, customer_id: str) -> list[dict[str, object]]:
        members = self.members(customer_id)
        return list(self.db.query(
            f"SELECT * FROM ledger WHERE customer_id IN ({_marks(members)}) ORDER BY id",
            members,
        ))

    def _joined(self, rows: list[dict[str, object]]) -> dict[str, str]:
        """When each merged customer among the rows' owners joined the account."""
        owners = sorted({str(row["customer_id"]) for row in rows})
        found = self.db.query(
            f"SELECT absorbed_id, merged_at FROM loyalty_merges WHERE absorbed_id IN"
            f" ({_marks(owners)})",
            owners,
        ) if owners else []
        return {str(row["absorbed_id"]): str(row["merged_at"]) for row in found}

    def _lots(self, rows: list[dict[str, object]]) -> list[_Lot]:
        """Replay the rows: what is left of each credit after spending oldest-expiring first."""
        joined = self._joined(rows)
        lots: dict[int, _Lot] = {}
        owner_of: dict[int, str] = {}
        for row in rows:
            points = int(str(row["points"]))
            owner = str(row["customer_id"])
            if points > 0:
                expires = row["expires_at"]
                lots[int(str(row["id"]))] = _Lot(
                    int(str(row["id"])), str(expires) if expires else None, points
                )
                owner_of[int(str(row["id"]))] = owner
                continue
            needed = -points
            named = lots.get(int(str(row["reference"]) or 0)) if row["reason"] == EXPIRE else None
            if named is not None:
                taken = min(needed, named.remaining)
                named.remaining -= taken
                needed -= taken
            at = str(row["created_at"])

            def together(other: str, owner: str = owner, at: str = at) -> bool:
                # A row written before a merge spent only its own account's credits.
                return other == owner or (joined.get(owner, "") < at
                                          and joined.get(other, "") < at)

            open_lots = [lot for lot in lots.values() if lot.remaining > 0]
            live = sorted((lot for lot in open_lots
                           if lot.expires_at is None or lot.expires_at > at), key=_Lot.order)
            # A merged account may replay a spend against credits that had expired or belonged
            # to the other side; use them only if nothing else is left, so the lots always add
            # up to the sum.
            rest = sorted(open_lots, key=_Lot.order)
            own = [lot for lot in live if together(owner_of[lot.id])]
            for lot in [*own, *live, *rest]:
                if needed == 0:
                    break
                taken = min(needed, lot.remaining)
                lot.remaining -= taken
                needed -= taken
        return [lot for lot in lots.values() if lot.remaining > 0]

    def expire(self, customer_id: str, now: datetime) -> int:
        """Write an 'expire' row for every credit past its expiry; the points expired."""
        with self.db.transaction():
            rows = self._rows(customer_id)
            if not rows:
                return 0
            root = self.root(customer_id)
            last = int(str(rows[-1]["id"]))
            expired = 0
            for lot in self._lots(rows):
                if lot.expires_at is not None and lot.expires_at <= iso(now):
                    self._insert(root, -lot.remaining, EXPIRE, str(lot.id),
                                 f"expire:{lot.id}:{last}", now, None)
                    expired += lot.remaining
            return expired

    def balance(self, customer_id: str, now: datetime) -> int:
        """Points available now: the sum of the account's rows once expired credits are written."""
        with self.db.transaction():
            self.expire(customer_id, now)
            return self.ledger_sum(customer_id)

    def ledger_sum(self, customer_id: str) -> int:
        """The plain sum of the account's rows."""
        members = self.members(customer_id)
        return int(self.db.scalar(
            "SELECT coalesce(sum(points), 0) FROM ledger"
            f" WHERE customer_id IN ({_marks(members)})",
            members,
        ))

    def accounts_expiring(self, now: datetime, within: timedelta) -> list[str]:
        """Accounts holding credits that expire between now and now + within."""
        rows = self.db.query(
            "SELECT DISTINCT customer_id FROM ledger WHERE points > 0"
            " AND expires_at > ? AND expires_at <= ? ORDER BY customer_id",
            [iso(now), iso(now + within)],
        )
        return list(dict.fromkeys(self.root(str(row["customer_id"])) for row in rows))

    def expiring(self, customer_id: str, now: datetime, within: timedelta) -> list[Expiring]:
        """Points that expire between now and now + within, soonest first."""
        until = iso(now + within)
        by_moment: dict[str, int] = {}
        for lot in self._lots(self._rows(customer_id)):
            if lot.expires_at is not None and iso(now) < lot.expires_at <= until:
                by_moment[lot.expires_at] = by_moment.get(lot.expires_at, 0) + lot.remaining
        return [Expiring(points, parse_iso(at)) for at, points in sorted(by_moment.items())]

    def history(self, customer_id: str, limit: int = 10) -> list[LedgerEntry]:
        """The account's most recent rows, newest first."""
        members = self.members(customer_id)
        rows = self.db.query(
            f"SELECT * FROM ledger WHERE customer_id IN ({_marks(members)})"
            " ORDER BY id DESC LIMIT ?",
            [*members, limit],
        )
        return [_entry(row) for row in rows]

    def has_reason(self, customer_id: str, reason: str) -> bool:
        """Whether the account ever had a row for this reason (e.g. the follow bonus)."""
        members = self.members(customer_id)
        return self.db.scalar(
            f"SELECT 1 FROM ledger WHERE customer_id IN ({_marks(members)}) AND reason = ?"
            " LIMIT 1",
            [*members, reason],
        ) is not None

    def earned(self, customer_id: str, since: datetime, until: datetime | None = None) -> int:
        """Points earned (credits that count for tiers) from `since` up to `until`."""
        members = self.members(customer_id)
        return int(self.db.scalar(
            f"SELECT coalesce(sum(points), 0) FROM ledger WHERE customer_id IN ({_marks(members)})"
            f" AND points > 0 AND reason NOT IN ({_marks(list(NOT_EARNED))})"
            " AND created_at >= ? AND created_at < ?",
            [*members, *NOT_EARNED, iso(since), iso(until) if until else "9999"],
        ))
