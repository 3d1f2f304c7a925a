"""Staff grants and deductions of points: the ledger row and its audit row, once per key.

`/grant`, `/deduct` and the console's customer page share these rules: more than
`[staff] confirm_points_above` points waits for a confirmation, a deduction never takes a
balance below zero, and a key (the command's delivery, the console form's nonce) pays once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.config import Config
from bot.store import Store

ACTIONS = ("grant", "deduct")
# Staff changes count for neither tier nor leaderboard (NOT_EARNED in the ledger); customers
# see them as an adjustment. The staff member's words go to the audit row.
LEDGER_REASON = "correction"
MOST_POINTS = 10_000_000


class Outcome(StrEnum):
    """What became of an adjustment."""

    DONE = "done"
    DUPLICATE = "duplicate"  # this key was carried out before
    TOO_FEW = "too_few"  # a deduction larger than the balance


@dataclass(frozen=True, slots=True)
class Adjusted:
    """The outcome with the balance before and after (equal when nothing changed)."""

    outcome: Outcome
    before: int
    after: int


def needs_confirmation(config: Config, points: int) -> bool:
    """Whether this many points waits for a confirmation first."""
    return points > config.staff.confirm_points_above


def adjust(
    store: Store, *, staff: str, role: str, action: str, customer_id: str, points: int,
    reason: str, key: str, now: datetime,
) -> Adjusted:
    """Write the ledger row and its audit row together, once per key."""
    if action not in ACTIONS or not 0 < points <= MOST_POINTS:
        raise ValueError(f"cannot {action} {points} points")
    loyalty = store.loyalty
    with store.transaction():
        balance = loyalty.balance(customer_id, now)
        if loyalty.has_key(key):
            return Adjusted(Outcome.DUPLICATE, balance, balance)
        if action == "deduct" and points > balance:
            return Adjusted(Outcome.TOO_FEW, balance, balance)
        change = loyalty.award if action == "grant" else loyalty.deduct
        change(customer_id, points, LEDGER_REASON, staff, key, now)
        after = loyalty.balance(customer_id, now)
        store.staff.audit(
            staff=staff, role=role, action=action, target=customer_id, now=now,
            before={"balance": balance},
            after={"balance": after, "points": points, "reason": reason, "key": key},
        )
    return Adjusted(Outcome.DONE, balance, after)
