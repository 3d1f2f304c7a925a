"""Which report of an order's status is the newer: the shop's times, else the order of statuses.

Webhooks arrive out of order (a retry of "shipped" after "delivered"). An event that carries
the time the status changed is compared with the time of the status the order has; one
without is compared by rank, so it can only move an order forward. Cancelled and refunded are
final: only each other follows them without a time saying otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

# Every one of bot.order.STATUSES (tests/test_order_status.py checks it).
RANK = {"pending": 0, "paid": 1, "shipped": 2, "delivered": 3, "cancelled": 4, "refunded": 4}


@dataclass(frozen=True, slots=True)
class StatusMark:
    """An order's status and when it took effect (None when that is not known)."""

    status: str
    at: datetime | None = None


def is_stale(report: StatusMark, current: StatusMark | None) -> bool:
    """Whether `report` is older than the status the order already has.

    Equal times or ranks are not older: the shop may repeat a status with new details.
    """
    if current is None:
        return False
    if report.at is not None and current.at is not None and report.at != current.at:
        return report.at < current.at
    return RANK[report.status] < RANK[current.status]
