"""Token buckets that say how long to wait before the next send to a platform or a chat."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.adapter import RateLimits


@dataclass(slots=True)
class Bucket:
    """A token bucket: `rate` tokens a second, holding at most `capacity`."""

    rate: float
    capacity: float
    tokens: float
    updated: float

    def wait(self, now: float) -> float:
        """Seconds until a token is free (0 means now)."""
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate

    def take(self) -> None:
        """Spend one token."""
        self.tokens -= 1


class RateLimiter:
    """Per-platform, per-chat and per-group limits, as the platforms publish them."""

    def __init__(self, limits: dict[str, RateLimits]) -> None:
        self.limits = limits
        self.buckets: dict[tuple[str, str], Bucket] = {}

    def _bucket(self, key: tuple[str, str], rate: float, burst: float, now: float) -> Bucket:
        bucket = self.buckets.get(key)
        if bucket is None:
            bucket = self.buckets[key] = Bucket(rate, burst, burst, now)
        return bucket

    def available(self, platform: str, now: float) -> tuple[int, float]:
        """Sends the platform's overall limit allows right now, and seconds until the next one."""
        limits = self.limits.get(platform)
        if limits is None:
            return (1 << 30, 0.0)
        bucket = self._bucket((platform, ""), limits.per_second, max(limits.burst, 1), now)
        wait = bucket.wait(now)
        return (int(bucket.tokens), wait)

    def prune(self, now: float) -> int:
        """Forget per-chat buckets that have refilled (an idle chat costs no memory); how many."""
        idle = [
            key for key, bucket in self.buckets.items()
            if key[1] and bucket.wait(now) == 0 and bucket.tokens >= bucket.capacity
        ]
        for key in idle:
            del self.buckets[key]
        return len(idle)

    def reserve(self, platform: str, chat_id: str, is_group: bool, now: float) -> float:
        """Take a slot and return 0, or return how many seconds to wait (taking nothing)."""
        limits = self.limits.get(platform)
        if limits is None:
            return 0.0
        chat_rate = limits.per_group_per_minute / 60 if is_group else limits.per_chat_per_second
        buckets = [
            self._bucket((platform, ""), limits.per_second, max(limits.burst, 1), now),
            self._bucket((platform, chat_id), chat_rate, limits.burst, now),
        ]
        wait = max(bucket.wait(now) for bucket in buckets)
        if wait > 0:
            return wait
        for bucket in buckets:
            bucket.take()
        return 0.0
