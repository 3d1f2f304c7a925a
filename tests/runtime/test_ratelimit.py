"""The outbox's token buckets: limits as published, and a chat's bucket forgotten once idle."""

from __future__ import annotations

from bot.core.adapter import RateLimits
from bot.runtime.ratelimit import RateLimiter

TELEGRAM = RateLimits(per_second=30.0, per_chat_per_second=1.0, burst=3)


def test_a_chat_gets_its_burst_then_waits_for_its_rate() -> None:
    limiter = RateLimiter({"telegram": TELEGRAM})
    assert [limiter.reserve("telegram", "42", False, 100.0) for _ in range(3)] == [0.0] * 3
    assert limiter.reserve("telegram", "42", False, 100.0) == 1.0  # 1 a second once spent
    # The platform allows 30 a second: a tenth of a second later another chat is free.
    assert limiter.reserve("telegram", "43", False, 100.1) == 0.0


def test_idle_chats_are_forgotten_and_busy_ones_kept() -> None:
    limiter = RateLimiter({"telegram": TELEGRAM})
    for chat in range(10_000):  # a broadcast: one send to each of many chats
        assert limiter.reserve("telegram", str(chat), False, float(chat) / 30) == 0.0
    now = 10_000 / 30
    limiter.reserve("telegram", "busy", False, now)
    assert len(limiter.buckets) == 10_002  # the chats and the platform's own
    # "busy" spends its whole burst: a second later it has refilled one token of three, while
    # every broadcast chat is full again.
    limiter.reserve("telegram", "busy", False, now)
    limiter.reserve("telegram", "busy", False, now)
    assert limiter.prune(now + 1.0) == 10_000
    assert set(limiter.buckets) == {("telegram", ""), ("telegram", "busy")}
    # A forgotten chat starts again with its full burst.
    assert [limiter.reserve("telegram", "7", False, now + 2) for _ in range(3)] == [0.0] * 3
    assert limiter.prune(now + 100.0) == 2  # "busy" and "7", idle at last
    assert set(limiter.buckets) == {("telegram", "")}
