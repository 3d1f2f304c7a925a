"""The durable outbound queue: stored rows sent by a background task, retried, rate-limited."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import time
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import aiohttp

from bot.adapters.base import OutboundRequest, RateLimits, SendResult, SendStatus, Transport
from bot.clock import Clock
from bot.config import OutboxSettings
from bot.periodic import cancel
from bot.ratelimit import RateLimiter
from bot.store import Store
from bot.store.outbox import OutboxRow

log = logging.getLogger(__name__)

BATCH = 50
MIN_WAIT = 0.005


def retry_after_seconds(headers: Mapping[str, str], body: Any) -> float | None:
    """A server's requested wait, from Retry-After or a JSON `retry_after`."""
    header = headers.get("Retry-After")
    if header:
        with contextlib.suppress(ValueError):
            return max(0.0, float(header))
    if isinstance(body, dict):
        parameters = body.get("parameters")
        value = (parameters or {}).get("retry_after") if isinstance(parameters, dict) else None
        value = value if value is not None else body.get("retry_after")
        if isinstance(value, int | float):
            return max(0.0, float(value))
    return None


def classify_http(status: int, headers: Mapping[str, str], body: Any) -> SendResult:
    """The generic reading of an HTTP answer: 2xx sent, 429/5xx retry, other 4xx refused."""
    if 200 <= status < 300:
        return SendResult(SendStatus.SENT)
    error = f"HTTP {status}: {json.dumps(body, ensure_ascii=False)[:300]}"
    if status == 429 or status >= 500:
        return SendResult(SendStatus.RETRY, error, retry_after_seconds(headers, body))
    return SendResult(SendStatus.FAILED, error)


class HttpTransport:
    """POSTs a row's JSON body to base_url + path, with fixed headers."""

    def __init__(self, base_url: str, headers: Mapping[str, str] | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.headers = dict(headers or {})

    async def send(self, session: aiohttp.ClientSession, request: OutboundRequest) -> SendResult:
        """Send one request and classify the answer."""
        async with session.request(
            request.method, self.base_url + request.path, json=dict(request.body),
            headers=self.headers,
        ) as response:
            text = await response.text()
            try:
                body: Any = json.loads(text) if text else None
            except ValueError:
                body = text[:300]
            return classify_http(response.status, response.headers, body)


class Outbox:
    """Sends stored rows: per-chat in order, retried with backoff and jitter, rate-limited."""

    def __init__(
        self,
        store: Store,
        settings: OutboxSettings,
        transports: Mapping[str, Transport],
        rate_limits: Mapping[str, RateLimits],
        clock: Clock | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.transports = dict(transports)
        self.limiter = RateLimiter(dict(rate_limits))
        self.clock = clock or Clock()
        self.session: aiohttp.ClientSession | None = None
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
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
        self._wake.set()

    async def start(self) -> None:
        """Open the HTTP session and start sending (rows left from a previous run included)."""
        timeout = aiohttp.ClientTimeout(total=self.settings.timeout_seconds)
        self.session = aiohttp.ClientSession(timeout=timeout)
        self._task = asyncio.create_task(self._run(), name="outbox")
        self.wake()

    async def stop(self) -> None:
        """Stop sending; unsent rows stay stored for the next start."""
        await cancel(self._task)
        self._task = None
        if self.session is not None:
            await self.session.close()
            self.session = None

    async def _run(self) -> None:
        while True:
            # Cleared before the round, so a wake() during it is not lost (nor called idle).
            self._wake.clear()
            try:
                sent = await self.run_once()
            except Exception:
                log.exception("outbox round failed")
                sent = 0
            if sent:
                continue
            if not self._wake.is_set():
                self._idle.set()
            delay = self.settings.poll_interval_seconds
            due = self.store.outbox.next_due_at()
            if due is not None:
                # Never a zero timeout: on Python 3.11 cancelling wait_for(..., 0) can hang,
                # and a row due "now" that was not claimable must not make this loop spin.
                delay = min(delay, max(MIN_WAIT, (due - self.clock.now()).total_seconds()))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=delay)

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
