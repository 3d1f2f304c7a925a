"""Conversation-log retention: lines older than `[privacy] conversation_days` are deleted,
a small batch at a time so that handling never waits long for the store."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from bot.config.privacy import PrivacySettings
from bot.core.clock import Clock
from bot.core.service import Service
from bot.store import Store

log = logging.getLogger(__name__)

EVERY_SECONDS = 3600.0
FIRST_ROUND_AFTER = 60.0  # not in the way of a start
BATCH = 2000


class ConversationRetention(Service):
    """Deletes conversation lines past the retention period, once an hour."""

    def __init__(self, store: Store, settings: PrivacySettings, clock: Clock) -> None:
        super().__init__("retention", EVERY_SECONDS, first_round_after=FIRST_ROUND_AFTER)
        self.store = store
        self.settings = settings
        self.clock = clock

    @property
    def active(self) -> bool:
        """Only with a retention period (0 keeps conversations forever)."""
        return self.settings.conversation_days > 0

    async def round(self) -> float | None:
        """Delete what is past the period, batch by batch, letting other work run between."""
        cutoff = self.clock.now() - timedelta(days=self.settings.conversation_days)
        deleted = 0
        while True:
            count = self.store.conversations.delete_before(cutoff, BATCH)
            deleted += count
            if count < BATCH:
                break
            await asyncio.sleep(0)
        if deleted:
            log.info("retention: deleted %d conversation lines older than %d days", deleted,
                     self.settings.conversation_days)
        return None
