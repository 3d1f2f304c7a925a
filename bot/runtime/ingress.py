"""Ingress: a platform's request verified, parsed, recorded, then handled (passively if fast).

A request that fails verification stores nothing; an authentic one that cannot be parsed is
kept as a dead letter; every message is recorded durably before the platform hears "ok".
Pulling adapters (Telegram polling) hand their updates to `take` the same way.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Coroutine, Mapping, Sequence
from typing import Any

from bot.core.adapter import (
    Adapter,
    HoldingAdapter,
    InboundRequest,
    ReceiptSource,
    WebhookAnswer,
)
from bot.core.clock import Clock
from bot.core.errors import PayloadError, SignatureError, StoreBusy
from bot.core.message import Message
from bot.runtime.pipeline import Handled, Pipeline, Ticket
from bot.store import Store

log = logging.getLogger(__name__)

FORBIDDEN = "forbidden"


# The headers a dead letter keeps: what helps read the body again. Secret tokens (Telegram's),
# signatures, cookies and bearer tokens stay out of the store and its backups.
KEPT_HEADERS = ("content-type", "content-length", "user-agent", "x-request-id")


def kept_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """The harmless headers of a request, to keep with its dead letter."""
    return {name: value for name, value in headers.items() if name.lower() in KEPT_HEADERS}


class Ingress:
    """Turns verified platform requests into recorded, handled messages."""

    def __init__(self, store: Store, pipeline: Pipeline, clock: Clock) -> None:
        self.store = store
        self.pipeline = pipeline
        self.clock = clock
        self._tasks: set[asyncio.Task[Any]] = set()

    async def webhook(self, adapter: Adapter, inbound: InboundRequest) -> WebhookAnswer:
        """Verify, parse, record every message, then answer: passively when fast enough."""
        try:
            adapter.verify(inbound)
        except SignatureError as error:
            log.warning("bad signature from %s: %s", adapter.name, error)
            return WebhookAnswer(status=error.status, body=FORBIDDEN)
        except StoreBusy:
            raise  # 503: the platform tries again
        except Exception:
            # A request we cannot even check is refused like a forged one (and is a bug).
            log.exception("verifying a %s request failed", adapter.name)
            return WebhookAnswer(status=403, body=FORBIDDEN)
        try:
            messages = adapter.parse(inbound)
        except Exception as error:
            if not isinstance(error, PayloadError):
                log.exception("parsing a %s request failed", adapter.name)
            log.warning("unparseable %s payload kept as a dead letter: %s", adapter.name, error)
            self.store.dead_letters.add(
                adapter.name, str(error)[:500], kept_headers(inbound.headers), inbound.body,
                self.clock.now(),
            )
            return WebhookAnswer(status=400, body="bad request")
        if isinstance(adapter, ReceiptSource):
            self._record_receipts(adapter, inbound)
        arrived = time.monotonic()
        fresh = [message for message in messages if self.pipeline.record(message)]
        budget = adapter.reply_budget_seconds
        if budget is not None and len(messages) == 1:
            # One message on a platform that takes its answer passively (WeChat): a fresh one
            # is handled, a retry answered again if its first answer never reached them.
            [message] = messages
            holding = isinstance(adapter, HoldingAdapter) and adapter.holds_replies()
            # A budget of 0: never a passive answer, unless there is no other way to answer.
            ticket = Ticket(passive=budget > 0 or holding)
            work: Coroutine[Any, Any, Handled | None]
            if fresh:
                work = self.pipeline.handle(message, ticket)
            else:
                work = self.pipeline.redelivered(message, ticket)
            task: asyncio.Task[Handled | None] = self.background(work)
            answer = await self._reply_within_budget(budget, task, ticket)
            if answer is None and holding and isinstance(adapter, HoldingAdapter):
                answer = await self._answer_late(adapter, message, task, arrived)
            return answer or adapter.acknowledge(inbound)
        for message in fresh:
            self.background(self.pipeline.handle(message))
        return adapter.acknowledge(inbound)

    def take(self, messages: Sequence[Message]) -> None:
        """Record pulled messages and start handling the fresh ones (Telegram polling)."""
        for message in messages:
            if self.pipeline.record(message):
                self.background(self.pipeline.handle(message))

    async def committed(self) -> None:
        """Return once every message taken so far is durable (group commit)."""
        await self.store.committed()

    def dead_letter(self, platform: str, reason: str, body: bytes) -> None:
        """Keep an authentic update that could not be parsed."""
        self.store.dead_letters.add(platform, reason, {}, body, self.clock.now())

    def _record_receipts(self, adapter: ReceiptSource, inbound: InboundRequest) -> None:
        """Apply the delivery reports of a webhook to the outbox rows they are about."""
        receipts = adapter.receipts(inbound)
        now = self.clock.now()
        with self.store.transaction():
            for receipt in receipts:
                found = self.store.outbox.set_delivery_state(
                    receipt.platform, receipt.platform_message_id, receipt.state, receipt.error,
                    now, unless=receipt.unless,
                )
                if not found:
                    log.debug("%s receipt %s for no outbox row (or an older state)",
                              receipt.platform, receipt.state)

    async def _reply_within_budget(
        self, budget: float, task: asyncio.Task[Handled | None], ticket: Ticket
    ) -> WebhookAnswer | None:
        """The passive answer if the replies are ready in time; else they go the outbox."""
        done, _ = await asyncio.wait({task}, timeout=budget)
        if not done and ticket.close():
            return None  # the handler will send its replies through the outbox
        # Done, or it took the passive way just as time ran out: its answer is all that is
        # left to give (it cannot be sent any other way now).
        try:
            handled = await task
        except Exception:
            return None  # logged by the task; the delivery is resumed from the store
        return handled.answer if handled is not None else None

    async def _answer_late(
        self, adapter: HoldingAdapter, message: Message, task: asyncio.Task[Handled | None],
        arrived: float,
    ) -> WebhookAnswer | None:
        """On a platform that can only answer passively, replies that missed the budget are
        held; unless this is the platform's last delivery of the message, it gets no answer
        before its deadline, so that it delivers the message again and that delivery carries
        them. Finished before the deadline after all, they are given here (if that answer
        comes too late for the platform, its retry gets them again).
        """
        delivery = self.store.deliveries.get(message.platform, message.message_id)
        if delivery is not None and delivery.attempts >= adapter.deliveries:
            # No retry is coming: "success" now, and the replies wait for the next message.
            return None
        remaining = adapter.answer_deadline_seconds - (time.monotonic() - arrived)
        done, _ = await asyncio.wait({task}, timeout=max(remaining, 0.0))
        if not done:
            return None  # past the deadline: the platform has gone and will deliver again
        again = await self.pipeline.redelivered(message, Ticket(passive=True))
        return again.answer if again is not None else None

    def background(self, coroutine: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        """Run handling in a task of its own, kept until it ends (and drained at shutdown)."""
        task = asyncio.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        task.add_done_callback(_log_failure)
        return task

    @property
    def running(self) -> set[asyncio.Task[Any]]:
        """Handling still in progress."""
        return set(self._tasks)

    async def drain(self, timeout: float = 5.0) -> None:
        """Let handling in progress finish; what does not is resumed from the store next start."""
        if self._tasks:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    asyncio.gather(*self._tasks, return_exceptions=True), timeout
                )


def _log_failure(task: asyncio.Task[Any]) -> None:
    if task.cancelled() or task.exception() is None:
        return
    if isinstance(task.exception(), StoreBusy):
        log.warning("background handling put off: the store is busy")
        return
    log.error("background handling failed", exc_info=task.exception())
