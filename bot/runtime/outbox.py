"""The durable outbound queue: stored rows sent by a background task, retried, rate-limited."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Mapping
from datetime import timedelta

import aiohttp

from bot.config.outbox import OutboxSettings
from bot.core.adapter import OutboundRequest, RateLimits, SendResult, SendStatus, Transport
from bot.core.clock import Clock
from bot.core.service import Service
from bot.runtime.ratelimit import RateLimiter
from bot.store import Store
from bot.store.outbox import OutboxRow

log = logging.getLogger(__name__)

BATCH = 50


class Outbox(Service):
    """Sends stored rows: per-chat in order, retried with backoff and jitter, rate-limited."""

    def __init__(
        self,
        store: Store,
        settings: OutboxSettings,
        transports: Mapping[str, Transport],
        rate_limits: Mapping[str, RateLimits],
        clock: Clock,
    ) -> None:
        super().__init__("outbox", settings.poll_interval_seconds)
        self.store = store
        self.settings = settings
        self.transports = dict(transports)
        self.limiter = RateLimiter(dict(rate_limits))
        self.clock = clock
        self.session: aiohttp.ClientSession | None = None
        self._idle = asyncio.Event()

    def enqueue(
        self, request: OutboundRequest, dedupe_key: str | None = None
    ) -> int | None:
        """Store a request to send and wake the sender; None if it was already queued."""
        row_id = self.store.outbox.enqueue(request, self.clock.now(), dedupe_key=dedupe_key)
        self.wake()
        return row_id

    def wake(self) -> None:
        """Tell the sender there is new work."""
        self._idle.clear()
        super().wake()

    async def open(self) -> None:
        """Open the HTTP session (rows left from a previous run are sent first)."""
        timeout = aiohttp.ClientTimeout(total=self.settings.timeout_seconds)
        self.session = aiohttp.ClientSession(timeout=timeout)
        self.wake()

    async def close(self) -> None:
        """Close the session; unsent rows stay stored for the next start."""
        if self.session is not None:
            await self.session.close()
            self.session = None

    async def round(self) -> float | None:
        """Send what is due; then wait until the next row is due (or a wake)."""
        if await self.run_once():
            return 0.0
        if not self._wake.is_set():
            self._idle.set()
        delay = self.settings.poll_interval_seconds
        due = self.store.outbox.next_due_at()
        if due is not None:
            delay = min(delay, (due - self.clock.now()).total_seconds())
        return delay

    async def run_once(self) -> int:
        """Send every due row once; returns how many rows were attempted."""
        if self.session is None:
            raise RuntimeError("outbox not started")
        lease = timedelta(seconds=self.settings.lease_seconds)
        rows = self.store.outbox.claim_due(self.clock.now(), BATCH, lease)
        if not rows:
            return 0
        chats: dict[tuple[str, str], list[OutboxRow]] = {}
        for row in rows:
            chats.setdefault((row.request.platform, row.request.chat_id), []).append(row)
        await asyncio.gather(*(self._send_chat(chat_rows) for chat_rows in chats.values()))
        return len(rows)

    async def _send_chat(self, rows: list[OutboxRow]) -> None:
        # Rows to one chat go in order: once one must wait, the rest wait with it.
        for index, row in enumerate(rows):
            wait = await self._send_row(row)
            if wait is not None:
                at = self.clock.now() + timedelta(seconds=wait)
                for later in rows[index + 1 :]:
                    self.store.outbox.defer(later.id, self.clock.now(), at)
                return

    async def _send_row(self, row: OutboxRow) -> float | None:
        """Attempt one row; returns seconds the chat must now wait, or None to go on."""
        request = row.request
        now = self.clock.now()
        if request.user_id and self.store.customers.is_unreachable(
            request.platform, request.user_id
        ):
            self.store.outbox.mark_final(row.id, "undeliverable", "customer unreachable", now)
            return None
        wait = self.limiter.reserve(
            request.platform, request.chat_id, request.is_group, time.monotonic()
        )
        if wait > 0:
            self.store.outbox.defer(row.id, now, now + timedelta(seconds=wait))
            return wait
        transport = self.transports.get(request.platform)
        if transport is None:
            self.store.outbox.mark_final(row.id, "failed", "no transport for platform", now)
            return None
        assert self.session is not None
        try:
            result = await transport.send(self.session, request)
        except (TimeoutError, aiohttp.ClientError) as error:
            result = SendResult(SendStatus.RETRY, f"{type(error).__name__}: {error}")
        return self._record(row, result)

    def _record(self, row: OutboxRow, result: SendResult) -> float | None:
        now = self.clock.now()
        request = row.request
        if result.blocked and request.user_id:
            self.store.customers.mark_unreachable(request.platform, request.user_id)
        if result.status is SendStatus.SENT:
            self.store.outbox.mark_sent(row.id, now, result.platform_message_id, result.error)
            return None
        if result.status is not SendStatus.RETRY:
            log.warning("outbox row %d %s: %s", row.id, result.status.value, result.error)
            self.store.outbox.mark_final(row.id, result.status.value, result.error, now)
            return None
        if row.attempts >= self.settings.max_attempts:
            log.warning("outbox row %d failed after %d attempts", row.id, row.attempts)
            self.store.outbox.mark_final(
                row.id, "failed", f"gave up after {row.attempts} attempts: {result.error}", now
            )
            return None
        delay = self.backoff(row.attempts, result.retry_after)
        self.store.outbox.reschedule(row.id, now, now + timedelta(seconds=delay), result.error)
        return delay

    def backoff(self, attempts: int, retry_after: float | None) -> float:
        """Seconds before the next try: the server's wish, else exponential with jitter."""
        if retry_after is not None:
            return float(min(retry_after, self.settings.max_delay_seconds))
        exponential: float = self.settings.base_delay_seconds * 2.0 ** max(attempts - 1, 0)
        return min(self.settings.max_delay_seconds, exponential) * (0.5 + random.random() / 2)

    async def wait_idle(self, timeout: float = 10.0) -> None:
        """Wait until the sender has nothing due (for tests and shutdown)."""
        await asyncio.wait_for(self._idle.wait(), timeout=timeout)
