"""The durable outbound queue's sender: stored rows sent in the background, retried for hours
with capped backoff, rate-limited, each platform and each chat on its own.

A slow or failing platform holds up only its own rows: rows are claimed per platform (as many
as its rate limit allows) and each is sent in a task of its own, at most `concurrency` at once
per platform. A chat's rows go one after the other in order (the store only hands out the
oldest unfinished row of each chat).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import Counter
from collections.abc import Mapping
from datetime import datetime, timedelta

import aiohttp

from bot.config.outbox import OutboxSettings
from bot.core.adapter import OutboundRequest, RateLimits, SendResult, SendStatus, Transport
from bot.core.clock import Clock
from bot.core.errors import StoreBusy
from bot.core.service import Service
from bot.core.tracing import bound_request_id
from bot.runtime.metrics import Metrics
from bot.runtime.ratelimit import RateLimiter
from bot.store import Store
from bot.store.held import LATER
from bot.store.outbox import OutboxRow

log = logging.getLogger(__name__)

BATCH = 50
OUTBOX_CHANNEL = "brandbot_outbox"  # instances sharing a PostgreSQL store wake each other
SHUTDOWN_GRACE = 2.0  # seconds a clean stop waits for sends already on the wire
PRUNE_SECONDS = 60.0
# A platform whose due rows all wait behind earlier rows of their chats is not searched
# again until something changes (a send ends, a row is queued or falls due), or this long.
RECHECK_SECONDS = 5.0


class Outbox(Service):
    """Sends stored rows: per-chat in order, retried with backoff and jitter, rate-limited."""

    def __init__(
        self,
        store: Store,
        settings: OutboxSettings,
        transports: Mapping[str, Transport],
        rate_limits: Mapping[str, RateLimits],
        clock: Clock,
        metrics: Metrics | None = None,
    ) -> None:
        super().__init__("outbox", settings.poll_interval_seconds)
        self.metrics = metrics or Metrics(store, clock)
        self.store = store
        self.settings = settings
        self.transports = dict(transports)
        self.limiter = RateLimiter(dict(rate_limits))
        self.clock = clock
        self.session: aiohttp.ClientSession | None = None
        self._idle = asyncio.Event()
        self._sending: dict[int, asyncio.Task[None]] = {}
        self._busy: Counter[str] = Counter()  # sends on the wire, per platform
        self._pruned_at = time.monotonic()
        self.shutdown_grace = SHUTDOWN_GRACE
        # Platforms whose last claim found fewer due rows than it could take, and when to
        # look again anyway (another process may have queued rows): searching the queue of
        # one chat with thousands of rows behind a row on the wire costs time for nothing.
        self._drained: set[str] = set()
        # Counts wakes: a claim that awaited the store (PostgreSQL) may have missed rows
        # queued meanwhile, and must not mark its platform drained over their wake.
        self._wakes = 0
        self._claimed_at: datetime | None = None  # the moment the last claims were made for
        self._recheck_at = 0.0

    def enqueue(
        self, request: OutboundRequest, dedupe_key: str | None = None
    ) -> int | None:
        """Store a request to send and wake the sender; None if it was already queued."""
        row_id = self.store.outbox.enqueue(request, self.clock.now(), dedupe_key=dedupe_key)
        self.announce()
        return row_id

    def announce(self) -> None:
        """New rows are stored: wake this sender, and the other instances' on a shared store
        (one of them may be free while this one is at its limit)."""
        self.wake()
        self.store.db.notify(OUTBOX_CHANNEL)

    def wake(self) -> None:
        """Tell the sender there is new work (or a chat's row was just sent)."""
        self._drained.clear()
        self._wakes += 1
        self._idle.clear()
        super().wake()

    async def open(self) -> None:
        """Open the HTTP session (rows left from a previous run are sent first)."""
        timeout = aiohttp.ClientTimeout(total=self.settings.timeout_seconds)
        self.session = aiohttp.ClientSession(timeout=timeout)
        self.wake()

    async def close(self) -> None:
        """Let sends on the wire finish briefly, give the rest back, close the session.

        A row given back is due at once on the next start instead of waiting for its lease.
        """
        if self._sending:
            await asyncio.wait(set(self._sending.values()), timeout=self.shutdown_grace)
        unfinished = list(self._sending)
        for task in self._sending.values():
            task.cancel()
        if self._sending:
            await asyncio.gather(*self._sending.values(), return_exceptions=True)
        self.store.outbox.release(unfinished, self.clock.now())
        if self.session is not None:
            await self.session.close()
            self.session = None

    async def round(self) -> float | None:
        """Start sending what is due; then wait until more can go (a wake, a row, a token)."""
        started, token_wait = self.run_once()
        if started:
            return 0.0
        if not self._sending and not self._wake.is_set():
            self._idle.set()
        delay = self.settings.poll_interval_seconds
        now = self.clock.now()
        # Rows due since the claims looked (they await PostgreSQL: that takes a while) count
        # as due now, or a platform marked drained would pass over them until the recheck.
        due = self.store.outbox.next_due_at(self._claimed_at or now)
        if due is not None:
            delay = min(delay, (due - now).total_seconds())
            # A row falling due may be the head its chat's queue waits for.
            self._recheck_at = min(self._recheck_at, time.monotonic() + max(delay, 0.0))
        if token_wait is not None:
            delay = min(delay, token_wait)
        return delay

    def run_once(self) -> tuple[int, float | None]:
        """Claim due rows per platform and start sending them.

        Returns how many sends started, and the shortest wait for a platform's rate limit
        among platforms that could send nothing now (None: none was limited).
        """
        if self.session is None:
            raise RuntimeError("outbox not started")
        self._prune()
        now = self._claimed_at = self.clock.now()
        lease = timedelta(seconds=self.settings.lease_seconds)
        started = 0
        token_wait: float | None = None
        if time.monotonic() >= self._recheck_at:
            self._drained.clear()
            self._recheck_at = time.monotonic() + RECHECK_SECONDS
        for platform in self.transports:
            if platform in self._drained:
                continue
            room = self.settings.concurrency - self._busy[platform]
            tokens, wait = self.limiter.available(platform, time.monotonic())
            if tokens < 1:
                token_wait = wait if token_wait is None else min(token_wait, wait)
                continue
            limit = min(room, tokens, BATCH)
            if limit < 1:
                continue
            wakes = self._wakes
            claimed = self.store.outbox.claim_due(
                now, limit, lease, platform=platform, exclude=list(self._sending)
            )
            if len(claimed) < limit and wakes == self._wakes:
                self._drained.add(platform)
            for row in claimed:
                self._start(row)
                started += 1
        return started, token_wait

    def _start(self, row: OutboxRow) -> None:
        platform = row.request.platform
        self._busy[platform] += 1
        task = asyncio.create_task(self._send(row), name=f"outbox-{row.id}")
        self._sending[row.id] = task

    async def _send(self, row: OutboxRow) -> None:
        # Its log lines carry the id of the request the row was queued for.
        with bound_request_id(row.request_id):
            await self._send_traced(row)

    async def _send_traced(self, row: OutboxRow) -> None:
        try:
            result = await self._attempt(row)
            if result is not None:
                self.metrics.sent(row.request.platform, result)
                await self._keep(row, result)
        except asyncio.CancelledError:
            raise
        except StoreBusy:
            log.warning("outbox row %d put off: the store is busy", row.id)
        except Exception:
            # The row's lease lapses and another round tries it again.
            self.metrics.sent(row.request.platform, None)
            log.exception("sending outbox row %d failed", row.id)
        finally:
            self._busy[row.request.platform] -= 1
            self._sending.pop(row.id, None)
            self.wake()  # the chat's next row can go now

    async def _attempt(self, row: OutboxRow) -> SendResult | None:
        """Send one row, or None when it was deferred or closed without a send."""
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
            # The chat's own limit (the platform's was checked when claiming).
            self.store.outbox.defer(row.id, now, now + timedelta(seconds=wait))
            return None
        transport = self.transports.get(request.platform)
        if transport is None:
            self.store.outbox.mark_final(row.id, "failed", "no transport for platform", now)
            return None
        assert self.session is not None
        try:
            return await transport.send(self.session, request)
        except (TimeoutError, aiohttp.ClientError) as error:
            return SendResult(SendStatus.RETRY, f"{type(error).__name__}: {error}")

    async def _keep(self, row: OutboxRow, result: SendResult) -> None:
        """Record what the platform said, waiting out a busy store: a send the platform took
        but we did not mark would be sent again once its lease lapsed."""
        pause = 0.05
        deadline = time.monotonic() + self.settings.lease_seconds / 2
        while True:
            try:
                self._record(row, result)
                return
            except StoreBusy:
                if time.monotonic() >= deadline:
                    raise
                await asyncio.sleep(pause)
                pause = min(pause * 2, 1.0)

    def _record(self, row: OutboxRow, result: SendResult) -> None:
        now = self.clock.now()
        request = row.request
        if result.blocked and request.user_id:
            self.store.customers.mark_unreachable(request.platform, request.user_id)
        log.info(
            "outbox row %d to %s: %s (attempt %d)", row.id, request.platform,
            result.status.value, row.attempts,
            extra={"outbox_row": row.id, "platform": request.platform,
                   "result": result.status.value, "attempt": row.attempts},
        )
        if result.status is SendStatus.SENT:
            self.store.outbox.mark_sent(row.id, now, result.platform_message_id, result.error)
            return
        if result.status is SendStatus.HELD:
            # The platform cannot send it (no API on this account): it goes with the answer
            # to the customer's next message instead (runtime/held.py).
            with self.store.transaction():
                self.store.held.hold(
                    request.platform, request.chat_id, request.user_id, result.held, now,
                    reason=LATER, dedupe_key=f"outbox:{row.id}",
                )
                # Not sent by the outbox: "undeliverable" here, its text waits in held_replies.
                self.store.outbox.mark_final(row.id, "undeliverable", result.error, now)
            log.info("outbox row %d held for the customer's next message: %s", row.id,
                     result.error)
            return
        if result.status is not SendStatus.RETRY:
            log.warning("outbox row %d %s: %s", row.id, result.status.value, result.error)
            self.store.outbox.mark_final(row.id, result.status.value, result.error, now)
            return
        if self._gives_up(row, now):
            log.warning("outbox row %d failed after %d attempts", row.id, row.attempts)
            hours = (now - row.retry_since).total_seconds() / 3600
            self.store.outbox.mark_final(
                row.id, "failed",
                f"gave up after {row.attempts} attempts over {hours:.1f} h: {result.error}", now,
            )
            return
        delay = self.backoff(row.attempts, result.retry_after)
        self.store.outbox.reschedule(row.id, now, now + timedelta(seconds=delay), result.error)

    def _gives_up(self, row: OutboxRow, now: datetime) -> bool:
        """Past the retry horizon (hours since it was stored or re-driven), or the attempt cap."""
        horizon = timedelta(hours=self.settings.retry_hours)
        capped = 0 < self.settings.max_attempts <= row.attempts
        return capped or now - row.retry_since >= horizon

    def backoff(self, attempts: int, retry_after: float | None) -> float:
        """Seconds before the next try: the server's wish, else exponential with jitter."""
        if retry_after is not None:
            return float(min(retry_after, self.settings.max_delay_seconds))
        exponent = min(max(attempts - 1, 0), 30)  # capped: 2**attempts grows without bound
        exponential: float = self.settings.base_delay_seconds * 2.0 ** exponent
        return min(self.settings.max_delay_seconds, exponential) * (0.5 + random.random() / 2)

    def _prune(self) -> None:
        monotonic = time.monotonic()
        if monotonic - self._pruned_at >= PRUNE_SECONDS:
            self.limiter.prune(monotonic)
            self._pruned_at = monotonic

    async def wait_idle(self, timeout: float = 10.0) -> None:
        """Wait until the sender has nothing due and nothing on the wire (tests, shutdown)."""
        await asyncio.wait_for(self._idle.wait(), timeout=timeout)
