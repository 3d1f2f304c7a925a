"""The path of one message: record once, resolve the customer, route, then answer and log."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta

from bot.config import Config
from bot.core.adapter import Platform, WebhookAnswer
from bot.core.clock import Clock, iso
from bot.core.errors import StoreBusy
from bot.core.language import ENGLISH, detect_language
from bot.core.message import Customer, Event, Message, MessageKind, Reply
from bot.core.texts import Texts
from bot.core.tracing import bound_request_id, current_request_id, new_request_id
from bot.runtime.context import Action, Context, FaqSearch
from bot.runtime.held import HeldAnswers
from bot.runtime.metrics import Metrics
from bot.runtime.outgoing import Outgoing
from bot.runtime.router import Router
from bot.store import Store

log = logging.getLogger(__name__)

# How long a handler owns a delivery: one that died is taken over after this.
LEASE = timedelta(seconds=15)
LEASE_SLACK = 0.05  # seconds past a lease's end before taking it over (clocks tick unevenly)
# A platform's retry this soon after the first delivery is answered passively again.
REPEAT_WINDOW = timedelta(minutes=5)
# How long the parts of one album (a Telegram media group) are remembered as answered.
ALBUM_TTL = timedelta(days=1)


class Ticket:
    """Whether the replies may go back in the webhook's answer: decided once, without races.

    The handler takes the passive way when it renders, or the webhook closes it when its time
    is up; whichever comes first wins, so replies are never rendered for an answer that is no
    longer waited for, nor sent twice.
    """

    OPEN, TAKEN, CLOSED = "open", "taken", "closed"

    def __init__(self, passive: bool = False) -> None:
        self.state = self.OPEN if passive else self.CLOSED

    def take(self) -> bool:
        """For the handler rendering now: True if the replies go in the webhook answer."""
        if self.state == self.OPEN:
            self.state = self.TAKEN
        return self.state == self.TAKEN

    def close(self) -> bool:
        """For the webhook whose time is up: True if no passive answer is coming."""
        if self.state == self.OPEN:
            self.state = self.CLOSED
        return self.state == self.CLOSED


@dataclass(frozen=True, slots=True)
class Handled:
    """The outcome of handling one message."""

    replies: list[Reply]
    answer: WebhookAnswer | None = None
    duplicate: bool = False
    route: str = ""


@dataclass(slots=True)
class _InFlight:
    done: asyncio.Future[list[Reply]] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class Pipeline:
    """Owns the path of a message from record to replies; the only caller of the router."""

    def __init__(
        self,
        *,
        store: Store,
        config: Config,
        router: Router,
        faqs: FaqSearch,
        texts: Texts,
        outgoing: Outgoing,
        clock: Clock,
        actions: Mapping[str, Action] | None = None,
        platforms: Mapping[str, Platform] | None = None,
        services: Mapping[type, object] | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self.store = store
        self.config = config
        self.router = router
        self.faqs = faqs
        self.texts = texts
        self.outgoing = outgoing
        self.clock = clock
        self.actions = dict(actions or {})
        self.platforms = dict(platforms or {})
        # Long-lived helpers of features that handlers reach by type (ctx.service).
        self.services: dict[type, object] = dict(services or {})
        self.held = HeldAnswers(store, outgoing, texts, clock)
        self._in_flight: dict[tuple[str, str], _InFlight] = {}
        # Deliveries whose handling here gave up (the store was busy): still leased to us, so
        # a retry may take them up again at once rather than after the lease.
        self._abandoned: set[tuple[str, str]] = set()
        self.metrics = metrics or Metrics(store, clock)

    def context(self, customer: Customer, language: str) -> Context:
        """What handlers get while answering `customer` (a timer passes an empty customer)."""
        return Context(
            store=self.store, config=self.config, faqs=self.faqs, texts=self.texts,
            clock=self.clock, customer=customer, language=language, reach=self.outgoing,
            actions=self.actions, platforms=self.platforms, services=self.services,
        )

    def record(self, message: Message) -> bool:
        """Store a delivery durably; False if it was seen before (do not handle it again)."""
        fresh = self.store.deliveries.claim(
            message.platform, message.message_id, message.to_dict(), self.clock.now(), LEASE
        )
        if not fresh:
            # Counted: a platform that retries a fixed number of times is answered differently
            # on its last delivery (ingress.py).
            self.store.deliveries.count_repeat(message.platform, message.message_id)
        self.metrics.record(message.platform, fresh)
        return fresh

    async def receive(self, message: Message) -> Handled:
        """Record and handle a message, or return the replies a duplicate already got."""
        if self.record(message):
            return await self.handle(message)
        again = await self.redelivered(message, Ticket())
        if again is not None:
            return Handled(again.replies, duplicate=True, route=again.route)
        return Handled(await self.replies_of(message), duplicate=True)

    async def redelivered(self, message: Message, ticket: Ticket) -> Handled | None:
        """A retry of a recorded message: handled now if its handler died, or answered
        passively again if the first answer was passive (that answer never reached them).

        None when there is nothing to answer now (handled another way, or in hand elsewhere).
        """
        key = (message.platform, message.message_id)
        in_flight = self._in_flight.get(key)
        if in_flight is not None:
            with contextlib.suppress(Exception):
                await asyncio.shield(in_flight.done)
        delivery = self.store.deliveries.get(*key)
        if delivery is None:
            return None
        now = self.clock.now()
        if delivery.status == "handled":
            recent = delivery.received_at >= iso(now - REPEAT_WINDOW)
            if not recent:
                return None
            if not delivery.passive:
                # Held because it was late (no API to send it): the retry's answer carries it.
                if not self.store.held.of_answer(*key) or not ticket.take():
                    return None
                given = self.held.in_retry(message)
                if given is None:
                    return None
                return Handled(given[0], answer=given[1], duplicate=True, route="held")
            if not ticket.take():
                return None
            replies = [Reply.from_dict(reply) for reply in delivery.replies or []]
            answer = self.outgoing.passive_answer(message, replies)
            return Handled(replies, answer=answer, duplicate=True, route="repeat")
        if key in self._abandoned or self.store.deliveries.take_over(*key, now, LEASE):
            self._abandoned.discard(key)
            log.info("taking over %s message %s (its handler stopped)", *key)
            return await self.handle(message, ticket)
        return None

    async def replies_of(self, message: Message, wait: float = 10.0) -> list[Reply]:
        """The replies a recorded message got, waiting for them if it is being handled."""
        key = (message.platform, message.message_id)
        deadline = time.monotonic() + wait
        while True:
            in_flight = self._in_flight.get(key)
            if in_flight is not None:
                return list(await asyncio.shield(in_flight.done))
            delivery = self.store.deliveries.get(*key)
            if delivery is not None and delivery.replies is not None:
                return [Reply.from_dict(reply) for reply in delivery.replies]
            # Being handled by another process: poll briefly.
            if time.monotonic() >= deadline:
                return []
            await asyncio.sleep(0.05)

    async def handle(self, message: Message, ticket: Ticket | None = None) -> Handled:
        """Answer a recorded message; replies are logged and enqueued before this returns."""
        # Pulled updates and resumed deliveries come with no request: each gets an id here.
        with bound_request_id(current_request_id() or new_request_id()):
            return await self._answer(message, ticket)

    async def _answer(self, message: Message, ticket: Ticket | None) -> Handled:
        key = (message.platform, message.message_id)
        in_flight = self._in_flight[key] = _InFlight()
        started = time.perf_counter()
        try:
            try:
                handled = await self._handle(message, ticket or Ticket())
            except StoreBusy:
                # The delivery stays unhandled under its lease and is handled again: by a
                # retry at once, or by resume() once the lease lapses.
                log.warning("%s message %s: store busy, handled later", message.platform,
                            message.message_id)
                self._abandoned.add(key)
                raise
            except Exception:
                # Outside the router (customer lookup, logging …): still answer, and mark the
                # delivery handled so that it cannot fail again on every start.
                log.exception("%s message %s failed", message.platform, message.message_id)
                handled = self._apologise(message, ticket or Ticket())
        except BaseException as error:
            in_flight.done.set_exception(error)
            in_flight.done.exception()  # retrieved: waiters re-raise, nobody logs it twice
            raise
        finally:
            self._in_flight.pop(key, None)
        in_flight.done.set_result(handled.replies)
        seconds = time.perf_counter() - started
        outcome = self.metrics.answered(message.platform, handled.route, handled.replies, seconds)
        log.info(
            "%s message %s → %s, %d replies, %.1f ms", message.platform, message.message_id,
            handled.route, len(handled.replies), seconds * 1000,
            extra={"platform": message.platform, "message_id": message.message_id,
                   "route": handled.route, "replies": len(handled.replies),
                   "ms": round(seconds * 1000, 1), "outcome": outcome},
        )
        return handled

    async def _handle(self, message: Message, ticket: Ticket) -> Handled:
        now = self.clock.now()
        # A /command's words are the bot's, not the customer's language: "/kb unanswered" must
        # not make a Chinese-speaking staff member (or "/order" a customer) English.
        command = message.text.lstrip().startswith("/")
        language = detect_language(message.text, "") if message.text and not command else ""
        # "ok", "hi", "thx" are typed in every language: they start a new customer in English
        # but do not switch a Chinese-speaking one to it.
        weak = language == ENGLISH and len(message.text.strip()) <= 4
        customer = self.store.customers.resolve(
            message.platform, message.user_id, now, display_name=message.display_name,
            language=(language or None) if not weak else None,
            # A new customer who has not written a word yet (a follow, /start) is greeted in
            # the language their platform reports (Telegram's language_code, a number's country).
            default_language=(language if not weak else "") or message.language or language
            or self.config.bot.default_language,
            inbound=message.kind is not MessageKind.EVENT
            or message.event not in (Event.UNFOLLOW, Event.BLOCKED),
        )
        if message.kind is MessageKind.EVENT and message.event == Event.BLOCKED:
            # The customer blocked us on this platform: nothing more can reach them there
            # (UNBLOCKED needs nothing: an inbound event clears the mark in `resolve`).
            self.store.customers.mark_unreachable(message.platform, message.user_id)
        language = customer.language if weak or not language else language
        if message.edit_of is not None:
            self.store.conversations.edit_inbound(message.platform, message.edit_of, message.text)
            return self._finish(message, customer, [], "edit", ticket, language)
        message = self._pick_numbered(self._pressed_menu(message), customer)
        self.store.conversations.append(
            customer_id=customer.id, platform=message.platform, chat_id=message.chat_id,
            direction="in", kind=message.kind.value, text=message.text, payload=message.payload,
            message_id=message.message_id, source_id=message.source_id or message.message_id,
            now=now, once=True,
        )
        if customer.blocked:
            return self._finish(message, customer, [], "blocked", ticket, language)
        if message.group_id and not self._answers_album(message):
            return self._finish(message, customer, [], "album", ticket, language)
        ctx = self.context(customer, language)
        # The routes search synchronously: with semantic matching, embed the question in the
        # index's worker first, so that their search finds it done (a no-op otherwise).
        # One KB version and one read of the customer's flow for all the routes that ask.
        with self.faqs.one_version(), self.store.states.remembered():
            await self.faqs.prepare(message.text)
            routed = await self.router.dispatch(message, ctx)
        return self._finish(message, customer, routed.replies, routed.route, ticket, language)

    def _answers_album(self, message: Message) -> bool:
        """Whether this part of an album is the one that answers it (the others stay silent).

        The first part handled claims the album in the store, so a redelivery or a restart
        gives the same part the answer, and no other part ever gets one too. The one exception
        is a caption arriving after a part without one: that is the customer's question.
        """
        key = f"album:{message.platform}:{message.group_id}"
        now = self.clock.now()
        has_text = "1" if message.text.strip() else "0"
        claimed = self.store.kv.claim(
            key, f"{has_text}:{message.message_id}", now, expires_at=now + ALBUM_TTL
        )
        answered_text, _, first = claimed.partition(":")
        if first == message.message_id:
            return True
        if has_text == "1" and answered_text == "0":
            self.store.kv.set(key, f"1:{message.message_id}", now, expires_at=now + ALBUM_TTL)
            return True
        return False

    def _apologise(self, message: Message, ticket: Ticket) -> Handled:
        """The canned apology as the answer to a message whose handling failed."""
        language = detect_language(message.text, self.config.bot.default_language)
        apology = Reply(text=self.texts.get("apology", language))
        now = self.clock.now()
        adapter = self.outgoing.adapters.get(message.platform)
        passive = adapter is not None and ticket.take()
        rendered = adapter.render(message, [apology], passive=passive) if adapter else None
        with self.store.transaction():
            for index, request in enumerate(rendered.outbound if rendered else ()):
                self.store.outbox.enqueue(
                    request, now, dedupe_key=f"{message.platform}:{message.message_id}:{index}"
                )
            if rendered is not None:
                self.outgoing.keep_held(message, rendered, passive=passive)
            self.store.deliveries.complete(
                message.platform, message.message_id, [apology.to_dict()], now, passive=passive
            )
        self.outgoing.wake()
        answer = rendered.answer if rendered is not None and passive else None
        return Handled([apology], answer=answer, route="error")

    def _pressed_menu(self, message: Message) -> Message:
        """A click on the platform's own menu (WeChat) is a button press: its key is the
        button's id, its title the text (the event stays, for routes that ask)."""
        if message.kind is not MessageKind.EVENT or message.event != Event.MENU_CLICK:
            return message
        key = message.payload or ""
        title = self.store.platform_menus.title(message.platform, key) or message.text or key
        return replace(message, kind=MessageKind.BUTTON, payload=key, text=title)

    def _pick_numbered(self, message: Message, customer: Customer) -> Message:
        """A bare number answering the last offered buttons becomes that button press."""
        text = message.text.strip()
        # ASCII only: "²" and "①" are digits to str.isdigit() but not to int().
        if message.kind is not MessageKind.TEXT or not (text.isascii() and text.isdigit()):
            return message
        if len(text) > 2:
            return message
        buttons = self.store.menus.current(customer.id, self.clock.now())
        index = int(text) - 1
        if not 0 <= index < len(buttons):
            return message
        button_id, title = buttons[index]
        return replace(message, kind=MessageKind.BUTTON, payload=button_id, text=title)

    def _finish(
        self, message: Message, customer: Customer, replies: list[Reply], route: str,
        ticket: Ticket, language: str,
    ) -> Handled:
        """Log replies, remember buttons, enqueue sends, mark handled: one transaction."""
        now = self.clock.now()
        # Decided here, once: after this the webhook can no longer change its mind.
        passive = message.platform in self.outgoing.adapters and ticket.take()
        own = [reply for reply in replies if reply.to is None]
        with self.store.transaction():
            earlier: list[Reply] = []
            if passive and self.held.holds(message.platform):
                # Replies that missed their own passive answer come first, introduced.
                earlier = self.held.earlier(message, language)
            rendered = self.outgoing.answer(
                message, customer.id, replies, route, passive=passive, earlier=earlier
            )
            # A retry of this message is answered with all of it again (`redelivered`).
            given = [*earlier, *own]
            self.store.deliveries.complete(
                message.platform, message.message_id, [reply.to_dict() for reply in given], now,
                passive=passive,
            )
        if rendered.outbound or len(own) != len(replies):
            self.outgoing.wake()
        return Handled(given, answer=rendered.answer if passive else None, route=route)

    def next_resume_in(self) -> float | None:
        """Seconds until a delivery's lease lapses (its handler may have died), if any will.

        After a crash, the messages the dead process had taken are answered as soon as their
        leases run out rather than at the next fixed round.
        """
        now = self.clock.now()
        lapses = self.store.deliveries.next_lease_end(now)
        return None if lapses is None else (lapses - now).total_seconds() + LEASE_SLACK

    async def resume(self) -> int:
        """Handle deliveries recorded but never handled whose handler stopped mid-way, after
        renewing the leases of those still being handled here (a slow handler is alive)."""
        if self._in_flight:
            with self.store.transaction():
                self.store.deliveries.renew(list(self._in_flight), self.clock.now() + LEASE)
        ours, self._abandoned = self._abandoned, set()  # no need to wait for their lease
        stale = {
            (delivery.platform, delivery.delivery_key): delivery
            for delivery in self.store.deliveries.unhandled(self.clock.now())
        }
        for key in sorted(ours - set(stale)):
            delivery = self.store.deliveries.get(*key)
            if delivery is not None and delivery.status == "received":
                stale[key] = delivery
        count = 0
        for key, delivery in stale.items():
            if key in self._in_flight:
                continue
            if key not in ours and not self.store.deliveries.take_over(
                *key, self.clock.now(), LEASE
            ):
                continue
            try:
                message = Message.from_dict(delivery.message)
                log.info("resuming %s message %s", message.platform, message.message_id)
                await self.handle(message)
            except Exception:
                # One bad row must not stop the others, nor the bot from starting.
                log.exception("could not resume %s message %s", *key)
                continue
            count += 1
        return count
