"""Hands idle human-handoff conversations back to the bot even when nobody writes again."""

from __future__ import annotations

import logging

from bot.context import Context
from bot.message import Customer
from bot.periodic import Periodic
from bot.pipeline import Pipeline
from bot.store import Store

log = logging.getLogger(__name__)

CHECK_SECONDS = 60.0


class HandoffTimer(Periodic):
    """Checks claimed conversations once a minute and closes those past the idle timeout."""

    def __init__(self, store: Store, pipeline: Pipeline, every: float = CHECK_SECONDS) -> None:
        super().__init__("handoff-timer", every, self._round)
        self.store = store
        self.pipeline = pipeline

    async def _round(self) -> None:
        self.expire()

    def expire(self) -> int:
        """Close every idle conversation now; returns how many replies were queued."""
        from handlers.handoff import expire_idle

        pipeline = self.pipeline
        # No message started this: a context without a customer, every reply addressed.
        ctx = Context(
            store=self.store, config=pipeline.config, faqs=pipeline.faqs, texts=pipeline.texts,
            clock=pipeline.clock, customer=Customer("", ()),
            language=pipeline.config.bot.default_language, actions=pipeline.actions,
            adapters=pipeline.adapters,
        )
        replies = expire_idle(ctx, None)
        if replies:
            pipeline.deliver(replies, f"handoff-idle:{pipeline.clock.now().isoformat()}")
        return len(replies)
