"""Tells customers, once per expiry date, that some of their points will soon expire."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.clock import iso
from bot.message import Reply
from bot.periodic import cancel
from bot.pipeline import Pipeline
from bot.store import Store

log = logging.getLogger(__name__)

CHECK_SECONDS = 24 * 3600.0
REMINDED = "loyalty:expiry-reminded:"


@dataclass(frozen=True, slots=True)
class ReminderRound:
    """What one check did: reminders queued, and customers who could not be messaged now."""

    sent: int
    skipped: int


class ExpiryReminders:
    """Checks once a day (and at start) for points about to expire and tells their owners."""

    def __init__(self, store: Store, pipeline: Pipeline, every: float = CHECK_SECONDS) -> None:
        self.store = store
        self.pipeline = pipeline
        self.every = every
        self._task: asyncio.Task[None] | None = None

    @property
    def active(self) -> bool:
        """Whether points expire at all and reminders are wanted."""
        rules = self.pipeline.config.rewards
        return rules.enabled and rules.points_expiry != "never" and rules.expiry_reminder_days > 0

    async def start(self) -> None:
        """Start checking (nothing to do when points never expire)."""
        if self.active:
            self._task = asyncio.create_task(self._run(), name="expiry-reminders")

    async def stop(self) -> None:
        """Stop checking; who was reminded stays stored."""
        await cancel(self._task)
        self._task = None

    def run_once(self, now: datetime) -> ReminderRound:
        """Remind every account with points expiring within `expiry_reminder_days` of `now`."""
        if not self.active:
            return ReminderRound(0, 0)
        loyalty = self.store.loyalty
        within = timedelta(days=self.pipeline.config.rewards.expiry_reminder_days)
        rows = self.store.db.query(
            "SELECT DISTINCT customer_id FROM ledger WHERE points > 0"
            " AND expires_at > ? AND expires_at <= ? ORDER BY customer_id",
            [iso(now), iso(now + within)],
        )
        accounts = dict.fromkeys(loyalty.root(str(row["customer_id"])) for row in rows)
        sent = skipped = 0
        for account in accounts:
            outcome = self._remind(account, now, within)
            if outcome is True:
                sent += 1
            elif outcome is False:
                skipped += 1
        if sent or skipped:
            log.info("expiry reminders: %d sent, %d could not be delivered now", sent, skipped)
        return ReminderRound(sent, skipped)

    def _remind(self, account: str, now: datetime, within: timedelta) -> bool | None:
        """True if reminded now, False if unreachable now, None if nothing (new) to say."""
        loyalty = self.store.loyalty
        zone = self.pipeline.config.bot.zone
        with self.store.db.transaction():
            # Spent credits are not "expiring": the lots are what is left after spending.
            soon = loyalty.expiring(account, now, within)
            fresh = [lot for lot in soon
                     if self.store.kv.get(f"{REMINDED}{account}:{iso(lot.expires_at)}") is None]
            if not fresh:
                return None
            first = fresh[0]
            moment = iso(first.expires_at)
            customer = self.store.customers.get(account)
            language = (customer.language if customer is not None
                        else self.pipeline.config.bot.default_language)
            text = self.pipeline.texts.get(
                "rewards_expiry_reminder", language, points=first.points,
                date=first.expires_at.astimezone(zone).date().isoformat(),
                balance=loyalty.balance(account, now),
            )
            key = f"expiry-reminder:{account}:{moment}"
            if self.pipeline.notify(account, [Reply(text=text)], key) is None:
                # Tried again on the next check: the customer may write (and open a window).
                return False
            self.store.kv.set(f"{REMINDED}{account}:{moment}", "sent", now)
        return True

    async def _run(self) -> None:
        while True:
            try:
                self.run_once(self.pipeline.clock.now())
            except Exception:
                log.exception("expiry reminder check failed")
            await asyncio.sleep(self.every)
