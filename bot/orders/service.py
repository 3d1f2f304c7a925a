"""Order lookup's long-lived part: the order source and the retrier of "we will message you"."""

from __future__ import annotations

import functools
import logging
import unicodedata
from datetime import datetime, timedelta

from bot.config.orders import OrdersSettings
from bot.core.clock import Clock
from bot.core.errors import SourceUnavailable
from bot.core.message import Reply
from bot.core.order import Order, phone_digits, same_phone
from bot.core.service import Service
from bot.core.texts import Texts
from bot.orders.reply import answer, buttons
from bot.orders.source import HttpSource, OrderSource, StoreSource
from bot.runtime.outgoing import Outgoing
from bot.store import Store
from bot.store.orders.pending import PendingLookup

log = logging.getLogger(__name__)

FLOW = "orders"


def factor_matches(order: Order, factor: str) -> str | None:
    """How the answer proves ownership ('email', 'phone', 'phone-last4'), or None."""
    given = unicodedata.normalize("NFKC", factor).strip()
    if "@" in given:
        return "email" if order.email and given.casefold() == order.email.casefold() else None
    digits = phone_digits(given)
    if not order.phone:
        return None
    if len(digits) == 4:
        return "phone-last4" if phone_digits(order.phone).endswith(digits) else None
    return "phone" if same_phone(digits, order.phone) else None


def is_partial_factor(factor: str) -> bool:
    """Whether the answer is the last four digits of a phone (not a whole phone or email)."""
    given = unicodedata.normalize("NFKC", factor)
    return "@" not in given and len(phone_digits(given)) == 4


def _since(settings: OrdersSettings, clock: Clock) -> datetime:
    return clock.now() - timedelta(minutes=settings.failure_window_minutes)


def record_failure(store: Store, settings: OrdersSettings, customer_id: str, number: str,
                   clock: Clock, source: str = "") -> bool:
    """Count a failed try; True if the customer is now paused from lookups."""
    return store.orders.attempts.record_failure(
        customer_id, number, clock.now(), limit=settings.max_failures,
        window=timedelta(minutes=settings.failure_window_minutes),
        pause=timedelta(minutes=settings.pause_minutes), source=source,
    )


def is_source_paused(store: Store, settings: OrdersSettings, source: str, clock: Clock) -> bool:
    """Whether one address failed so often that its visitors, old and new, are paused.

    A web chat identity costs nothing to mint, so its own pause alone stops no one.
    """
    if not source:
        return False
    failures = store.orders.attempts.from_source(source, _since(settings, clock))
    return failures >= settings.max_failures_per_source


def needs_full_factor(store: Store, settings: OrdersSettings, number: str, clock: Clock) -> bool:
    """Whether guessing at this order, or at orders in general, is under way.

    Then only the whole phone number or the email proves ownership: ten thousand last-four
    guesses spread over many addresses stay useless, and the owner still gets in.
    """
    since = _since(settings, clock)
    attempts = store.orders.attempts
    return (
        attempts.for_order(number, since) >= settings.max_failures_per_order
        or attempts.overall(since) >= settings.max_failures_overall
    )


class OrderService(Service):
    """Holds the order source; answers pending lookups once the shop's API is back."""

    def __init__(
        self, store: Store, settings: OrdersSettings, outgoing: Outgoing, texts: Texts,
        clock: Clock, *, with_handoff: bool = False,
    ) -> None:
        super().__init__("orders-retrier", settings.http.retry_interval_seconds)
        self.store = store
        self.settings = settings
        self.outgoing = outgoing
        self.texts = texts
        self.clock = clock
        self.with_handoff = with_handoff  # replies may offer "talk to a person"
        self.source: OrderSource = (
            HttpSource(settings.http) if settings.source == "http" else StoreSource(store)
        )

    @property
    def active(self) -> bool:
        """Only the shop's API can be down: stored orders never leave a lookup pending."""
        return isinstance(self.source, HttpSource)

    async def open(self) -> None:
        """Open the source."""
        await self.source.start()

    async def close(self) -> None:
        """Close the source (pending lookups stay stored)."""
        await self.source.stop()

    async def round(self) -> float | None:
        """Retry every pending lookup once."""
        await self.run_once()
        return None

    async def run_once(self) -> int:
        """Try every pending lookup once; returns how many were answered."""
        answered = 0
        for lookup in self.store.orders.pending.due():
            if isinstance(self.source, HttpSource) and self.source.breaker.is_open:
                break
            if await self._retry(lookup):
                answered += 1
        return answered

    async def _retry(self, lookup: PendingLookup) -> bool:
        now = self.clock.now()
        text = functools.partial(self.texts.get, language=lookup.language)
        with_handoff = self.with_handoff
        try:
            order = await self.source.get(lookup.order_number)
        except SourceUnavailable as error:
            self.store.orders.pending.note_attempt(lookup.id, str(error), now)
            give_up = timedelta(hours=self.settings.http.give_up_hours)
            if now - lookup.created_at >= give_up:
                self._deliver(lookup, [Reply(text=text("order_gave_up"))], "expired")
            return False
        customer_id = lookup.customer_id
        if order is not None and self.store.orders.access.owns(customer_id, order):
            replies = [answer(order, text, with_handoff)]
        elif lookup.factor is None:
            # Whether the order exists stays hidden: everyone is asked for the second factor.
            replies = [Reply(text=text("order_ask_factor_later", number=lookup.order_number))]
            self.store.states.open(
                customer_id, FLOW, now, timedelta(minutes=self.settings.flow_minutes),
                {"number": lookup.order_number, "step": "factor"},
            )
        elif is_partial_factor(lookup.factor) and needs_full_factor(
            self.store, self.settings, lookup.order_number, self.clock
        ):
            replies = [Reply(text=text("order_ask_full_factor"))]
            self.store.states.open(
                customer_id, FLOW, now, timedelta(minutes=self.settings.flow_minutes),
                {"number": lookup.order_number, "step": "factor"},
            )
        elif order is not None and (how := factor_matches(order, lookup.factor)):
            self.store.orders.access.grant(customer_id, order.number, how, now)
            replies = [answer(order, text, with_handoff)]
        elif record_failure(
            self.store, self.settings, customer_id, lookup.order_number, self.clock
        ):
            replies = [Reply(text=text("order_paused", minutes=int(self.settings.pause_minutes)))]
        else:
            replies = [Reply(text=text("order_not_found"), buttons=buttons(text, with_handoff))]
        return self._deliver(lookup, replies, "delivered")

    def _deliver(self, lookup: PendingLookup, replies: list[Reply], status: str) -> bool:
        """Close the lookup and send its replies, together, exactly once."""
        now = self.clock.now()
        with self.store.transaction():
            if not self.store.orders.pending.finish(lookup.id, status, now):
                return False
            platform = self.outgoing.notify(
                lookup.customer_id, replies, f"orders-pending:{lookup.id}"
            )
            if platform is None:
                self.store.orders.pending.set_status(
                    lookup.id, "undelivered", "no platform with an open messaging window", now
                )
        log.info("pending order lookup %d %s via %s", lookup.id, status, platform or "nothing")
        return platform is not None
