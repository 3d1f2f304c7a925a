"""How fast one web visitor, and one address, may knock: token buckets kept in memory.

The web chat is the one door anyone can open without a platform in front (Telegram, WhatsApp
and WeChat hold their own users back): a script could otherwise push a thousand messages a
second, or mint sessions without end. Past a limit the answer is 429 with Retry-After, and
nothing is stored. The buckets live in this process (each instance of a scaled-out bot
counts its own share).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from aiohttp import web

from bot.config.web import WebSettings
from bot.runtime.ratelimit import Bucket

PRUNE_ABOVE = 10_000  # buckets kept before full (idle) ones are forgotten


class Buckets:
    """One token bucket per key (a visitor, an address), `per_minute` with a burst."""

    def __init__(
        self, per_minute: float, burst: float, now: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = per_minute / 60
        self.burst = max(burst, 1.0)
        self.now = now
        self.buckets: dict[str, Bucket] = {}

    def wait(self, key: str) -> float:
        """Seconds until `key` may knock again (0: the knock is counted now)."""
        now = self.now()
        bucket = self.buckets.get(key)
        if bucket is None:
            if len(self.buckets) >= PRUNE_ABOVE:
                self._prune(now)
            bucket = self.buckets[key] = Bucket(self.rate, self.burst, self.burst, now)
        wait = bucket.wait(now)
        if wait == 0:
            bucket.take()
        return wait

    def _prune(self, now: float) -> None:
        for key in [key for key, bucket in self.buckets.items()
                    if bucket.wait(now) == 0 and bucket.tokens >= bucket.capacity]:
            del self.buckets[key]


class ChatLimits:
    """The web chat's limits: messages per visitor and per address, new sessions per address."""

    def __init__(self, settings: WebSettings, now: Callable[[], float] = time.monotonic) -> None:
        self.visitors = Buckets(settings.messages_per_minute, settings.message_burst, now)
        self.addresses = Buckets(
            settings.address_messages_per_minute, settings.address_messages_per_minute / 4, now
        )
        self.sessions = Buckets(settings.sessions_per_minute, settings.session_burst, now)

    def message(self, visitor: str, address: str) -> float:
        """Seconds to wait before this visitor's next message (0: go ahead)."""
        return self.visitors.wait(visitor) or self.addresses.wait(address)

    def session(self, address: str) -> float:
        """Seconds to wait before this address gets another new session (0: go ahead)."""
        return self.sessions.wait(address)


LIMITS_KEY = web.AppKey("chat_limits", ChatLimits)
SLOW_DOWN = "too many messages at once: wait a moment, then send again"


def too_many(wait: float, message: str = SLOW_DOWN) -> web.Response:
    """429 with the seconds to wait, as a header and in the body."""
    seconds = max(1, math.ceil(wait))
    response = web.json_response({"error": message, "retry_after": seconds}, status=429)
    response.headers["Retry-After"] = str(seconds)
    return response
