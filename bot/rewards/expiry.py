"""Tells customers, once per expiry date, that some of their points will soon expire."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.config import Config
from bot.core.clock import Clock, iso
from bot.core.message import Notice, NoticeKind, Reply
from bot.core.service import Service
from bot.core.texts import Texts
from bot.runtime.outgoing import Outgoing
from bot.store import Store

log = logging.getLogger(__name__)

CHECK_SECONDS = 24 * 3600.0
REMINDED = "loyalty:expiry-reminded:"


@dataclass(frozen=True, slots=True)
class ReminderRound:
    """What one check did: reminders queued, and customers who could not be messaged now."""

    sent: int
    skipped: int


class ExpiryReminders(Service):
    """Checks once a day (and at start) for points about to expire and tells their owners."""

    def __init__(
        self, store: Store, outgoing: Outgoing, texts: Texts, config: Config, clock: Clock,
        every: float = CHECK_SECONDS,
    ) -> None:
        super().__init__("expiry-reminders", every)
        self.store = store
        self.outgoing = outgoing
        self.texts = texts
        self.config = config
        self.clock = clock

    @property
    def active(self) -> bool:
        """Whether points expire at all and reminders are wanted."""
        rules = self.config.rewards
        return rules.enabled and rules.points_expiry != "never" and rules.expiry_reminder_days > 0

    async def round(self) -> float | None:
        """One check, now."""
        self.run_once(self.clock.now())
        return None

    def run_once(self, now: datetime) -> ReminderRound:
        """Remind every account with points expiring within `expiry_reminder_days` of `now`."""
        if not self.active:
            return ReminderRound(0, 0)
        within = timedelta(days=self.config.rewards.expiry_reminder_days)
        sent = skipped = 0
        for account in self.store.loyalty.accounts_expiring(now, within):
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
        zone = self.config.bot.zone
        with self.store.transaction():
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
                        else self.config.bot.default_language)
            fields = {
                "points": str(first.points),
                "date": first.expires_at.astimezone(zone).date().isoformat(),
                "balance": str(loyalty.balance(account, now)),
            }
            text = self.texts.get("rewards_expiry_reminder", language, **fields)
            reply = Reply(text=text, notice=Notice(NoticeKind.POINTS_EXPIRING, fields, language))
            key = f"expiry-reminder:{account}:{moment}"
            if self.outgoing.notify(account, [reply], key) is None:
                # Tried again on the next check: the customer may write (and open a window).
                return False
            self.store.kv.set(f"{REMINDED}{account}:{moment}", "sent", now)
        return True
