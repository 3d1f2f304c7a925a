"""Retention: what is kept only for a while is deleted once past its `[privacy]` period
(conversation lines, handled deliveries, finished sends, dead letters, held WeChat replies) and
expired key-values at once, a small batch at a time so that handling never waits long for the
store."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from bot.config.privacy import PrivacySettings
from bot.core.clock import Clock
from bot.core.service import Service
from bot.store import Store

log = logging.getLogger(__name__)

EVERY_SECONDS = 3600.0
FIRST_ROUND_AFTER = 60.0  # not in the way of a start
BATCH = 2000

Deleter = Callable[[datetime, int], int]


class Retention(Service):
    """Deletes what is past its retention period, once an hour."""

    def __init__(self, store: Store, settings: PrivacySettings, clock: Clock) -> None:
        super().__init__("retention", EVERY_SECONDS, first_round_after=FIRST_ROUND_AFTER)
        self.store = store
        self.settings = settings
        self.clock = clock

    def rules(self) -> list[tuple[str, int, Deleter]]:
        """(what, days kept, delete up to a batch older than a cutoff) for each kind of row."""
        store, settings = self.store, self.settings
        outbox = store.outbox

        def finished(status: str) -> Deleter:
            return lambda cutoff, batch: outbox.delete_finished_before(status, cutoff, batch)

        def held(*, given: bool) -> Deleter:
            return lambda cutoff, batch: store.held.delete_before(cutoff, batch, given=given)

        return [
            ("conversation lines", settings.conversation_days, store.conversations.delete_before),
            ("handled deliveries", settings.delivery_days, store.deliveries.delete_handled_before),
            ("sent outbox rows", settings.sent_days, finished("sent")),
            ("undeliverable outbox rows", settings.sent_days, finished("undeliverable")),
            ("failed outbox rows", settings.failed_days, finished("failed")),
            ("dead letters", settings.dead_letter_days, store.dead_letters.delete_before),
            ("held replies given", settings.sent_days, held(given=True)),
            ("held replies never given", settings.failed_days, held(given=False)),
        ]

    async def round(self) -> float | None:
        """Delete what is past each period, batch by batch, letting other work run between."""
        now = self.clock.now()
        for what, days, delete in self.rules():
            if days > 0:
                await self._delete(what, now - timedelta(days=days), delete, f"{days} days")
        await self._delete("expired key-values", now, self.store.kv.delete_expired, "expiry")
        return None

    async def _delete(self, what: str, cutoff: datetime, delete: Deleter, age: str) -> int:
        deleted = 0
        while True:
            count = delete(cutoff, BATCH)
            deleted += count
            if count < BATCH:
                break
            await asyncio.sleep(0)
        if deleted:
            log.info("retention: deleted %d %s (older than %s)", deleted, what, age)
        return deleted
