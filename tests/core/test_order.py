"""Which status report of an order is the newer (bot/order_status.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.core.order import RANK, STATUSES, StatusMark, is_stale

NOON = datetime(2026, 11, 25, 12, tzinfo=UTC)


def test_every_status_has_a_rank() -> None:
    assert set(RANK) == set(STATUSES)


@pytest.mark.parametrize(
    ("current", "report", "stale"),
    [
        ("delivered", "shipped", True),
        ("shipped", "paid", True),
        ("paid", "pending", True),
        ("cancelled", "delivered", True),
        ("refunded", "paid", True),
        ("paid", "shipped", False),
        ("shipped", "shipped", False),  # the same status again, e.g. a new tracking number
        ("delivered", "refunded", False),
        ("cancelled", "refunded", False),
        ("refunded", "cancelled", False),
    ],
)
def test_without_times_only_the_rank_decides(current: str, report: str, stale: bool) -> None:
    assert is_stale(StatusMark(report), StatusMark(current, NOON)) is stale
    assert is_stale(StatusMark(report, NOON), StatusMark(current)) is stale


def test_with_both_times_the_time_decides_and_the_rank_breaks_a_tie() -> None:
    earlier, later = NOON - timedelta(seconds=1), NOON + timedelta(seconds=1)
    assert is_stale(StatusMark("refunded", earlier), StatusMark("delivered", NOON))
    assert not is_stale(StatusMark("shipped", later), StatusMark("delivered", NOON))
    assert is_stale(StatusMark("shipped", NOON), StatusMark("delivered", NOON))
    assert not is_stale(StatusMark("delivered", NOON), StatusMark("delivered", NOON))


def test_an_order_with_no_status_yet_takes_any_report() -> None:
    assert not is_stale(StatusMark("pending"), None)
