"""Hands idle human-handoff conversations back to the bot even when nobody writes again."""

from __future__ import annotations

import logging

from bot.core.message import Customer
from bot.core.service import Service
from bot.runtime.pipeline import Pipeline
from bot.staff.handoff import expire_idle

log = logging.getLogger(__name__)

CHECK_SECONDS = 60.0


class HandoffTimer(Service):
    """Checks claimed conversations once a minute and closes those past the idle timeout."""

    def __init__(self, pipeline: Pipeline, every: float = CHECK_SECONDS) -> None:
        super().__init__("handoff-timer", every, first_round_after=every)
        self.pipeline = pipeline

    async def round(self) -> float | None:
        """One check."""
        self.expire()
        return None

    def expire(self) -> int:
        """Close every idle conversation now; returns how many replies were queued."""
        pipeline = self.pipeline
        # No message started this: a context without a customer, every reply addressed.
        ctx = pipeline.context(Customer("", ()), pipeline.config.bot.default_language)
        replies = expire_idle(ctx, None)
        if replies:
            pipeline.outgoing.deliver(
                replies, f"handoff-idle:{pipeline.clock.now().isoformat()}"
            )
        return len(replies)
