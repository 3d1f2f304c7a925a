"""The path of one message: record once, resolve the customer, route, log, render, enqueue."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta

from bot.adapters.base import Adapter, Rendered, WebhookAnswer
from bot.clock import Clock
from bot.config import Config
from bot.context import Action, Context
from bot.faq_index import FaqIndex
from bot.knowledge import Texts
from bot.language import detect_language
from bot.message import Address, Customer, Event, Message, MessageKind, Reply
from bot.outbox import Outbox
from bot.router import Router
from bot.store import Store

log = logging.getLogger(__name__)

MENU_TTL = timedelta(days=1)
STALE_DELIVERY = timedelta(seconds=30)


@dataclass(slots=True)
class Ticket:
    """Whether the replies may still go back in the webhook answer (cleared when time is up)."""

    passive: bool = False


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
        faqs: FaqIndex,
        texts: Texts,
        adapters: Mapping[str, Adapter],
        outbox: Outbox,
        actions: Mapping[str, Action] | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.store = store
        self.config = config
        self.router = router
        self.faqs = faqs
        self.texts = texts
        self.adapters = dict(adapters)
        self.outbox = outbox
        self.actions = dict(actions or {})
        self.clock = clock or Clock()
        self._in_flight: dict[tuple[str, str], _InFlight] = {}
        # Long-lived helpers handlers reach through ctx.extras (e.g. "orders": its source).
        self.extras: dict[str, object] = {}

    def record(self, message: Message) -> bool:
        """Store a delivery durably; False if it was seen before (do not handle it again)."""
        return self.store.deliveries.claim(
            message.platform, message.message_id, message.to_dict(), self.clock.now()
        )

    async def receive(self, message: Message) -> Handled:
        """Record and handle a message, or return the replies a duplicate already got."""
        if self.record(message):
            return await self.handle(message)
        return Handled(await self.replies_of(message), duplicate=True)

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
        key = (message.platform, message.message_id)
        in_flight = self._in_flight[key] = _InFlight()
        started = time.perf_counter()
        try:
            try:
                handled = await self._handle(message, ticket or Ticket())
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
        log.info(
            "%s message %s → %s, %d replies, %.1f ms", message.platform, message.message_id,
            handled.route, len(handled.replies), (time.perf_counter() - started) * 1000,
        )
        return handled

    async def _handle(self, message: Message, ticket: Ticket) -> Handled:
        now = self.clock.now()
        language = detect_language(message.text, "") if message.text else ""
        customer = self.store.customers.resolve(
            message.platform, message.user_id, now, display_name=message.display_name,
            language=language or None, default_language=self.config.bot.default_language,
            inbound=message.kind is not MessageKind.EVENT
            or message.event not in (Event.UNFOLLOW, Event.BLOCKED),
        )
        if message.kind is MessageKind.EVENT and message.event == Event.BLOCKED:
            # The customer blocked us on this platform: nothing more can reach them there
            # (UNBLOCKED needs nothing: an inbound event clears the mark in `resolve`).
            self.store.customers.mark_unreachable(message.platform, message.user_id)
        language = language or customer.language
        if message.edit_of is not None:
            self.store.conversations.edit_inbound(message.platform, message.edit_of, message.text)
            return self._finish(message, customer, [], "edit", ticket)
        message = self._pick_numbered(message, customer)
        self.store.conversations.append(
            customer_id=customer.id, platform=message.platform, chat_id=message.chat_id,
            direction="in", kind=message.kind.value, text=message.text, payload=message.payload,
            message_id=message.message_id, source_id=message.source_id or message.message_id,
            now=now,
        )
        if customer.blocked:
            return self._finish(message, customer, [], "blocked", ticket)
        ctx = Context(
            store=self.store, config=self.config, faqs=self.faqs, texts=self.texts,
            clock=self.clock, customer=customer, language=language, actions=self.actions,
            extras=dict(self.extras),
            adapters=self.adapters,
        )
        # The routes search synchronously: with semantic matching, embed the question in the
        # index's worker first, so that their search finds it done (a no-op otherwise).
        await self.faqs.prepare(message.text)
        routed = await self.router.dispatch(message, ctx)
        return self._finish(message, customer, routed.replies, routed.route, ticket)

    def _apologise(self, message: Message, ticket: Ticket) -> Handled:
        """The canned apology as the answer to a message whose handling failed."""
        language = detect_language(message.text, self.config.bot.default_language)
        apology = Reply(text=self.texts.get("apology", language))
        now = self.clock.now()
        adapter = self.adapters.get(message.platform)
        rendered = adapter.render(message, [apology], passive=ticket.passive) if adapter else None
        with self.store.db.transaction():
            for index, request in enumerate(rendered.outbound if rendered else ()):
                self.store.outbox.enqueue(
                    request, now, dedupe_key=f"{message.platform}:{message.message_id}:{index}"
                )
            self.store.deliveries.complete(
                message.platform, message.message_id, [apology.to_dict()], now
            )
        self.outbox.wake()
        answer = rendered.answer if rendered is not None and ticket.passive else None
        return Handled([apology], answer=answer, route="error")

    def _pick_numbered(self, message: Message, customer: Customer) -> Message:
        """A bare number answering the last offered buttons becomes that button press."""
        text = message.text.strip()
        # ASCII only: "²" and "①" are digits to str.isdigit() but not to int().
        if message.kind is not MessageKind.TEXT or not (text.isascii() and text.isdigit()):
            return message
        if len(text) > 2:
            return message
        stored = self.store.kv.get(f"menu:{customer.id}", self.clock.now())
        if stored is None:
            return message
        buttons = json.loads(stored)
        index = int(text) - 1
        if not 0 <= index < len(buttons):
            return message
        button_id, title = buttons[index]
        return replace(message, kind=MessageKind.BUTTON, payload=button_id, text=title)

    def _finish(
        self, message: Message, customer: Customer, replies: Sequence[Reply], route: str,
        ticket: Ticket,
    ) -> Handled:
        """Log replies, remember buttons, enqueue sends, mark handled: one transaction."""
        now = self.clock.now()
        own = [reply for reply in replies if reply.to is None]
        adapter = self.adapters.get(message.platform)
        rendered = Rendered()
        # A button press is rendered even without replies: Telegram must stop its spinner.
        if adapter is not None and (own or message.kind is MessageKind.BUTTON):
            rendered = adapter.render(message, own, passive=ticket.passive)
        with self.store.db.transaction():
            for reply in own:
                self.store.conversations.append(
                    customer_id=customer.id, platform=message.platform, chat_id=message.chat_id,
                    direction="out", kind="text", text=reply.text, route=route,
                    payload=json.dumps(reply.to_dict(), ensure_ascii=False)
                    if reply.buttons or reply.link_url or reply.image_url else None,
                    now=now,
                )
            if own:
                self._remember_menu(customer.id, own[-1])
            base = f"{message.platform}:{message.message_id}"
            for index, request in enumerate(rendered.outbound):
                self.store.outbox.enqueue(request, now, dedupe_key=f"{base}:{index}")
            for index, reply in enumerate(r for r in replies if r.to is not None):
                self._address(reply, f"{base}:to{index}")
            self.store.deliveries.complete(
                message.platform, message.message_id, [reply.to_dict() for reply in own], now
            )
        if rendered.outbound or len(own) != len(replies):
            self.outbox.wake()
        answer = rendered.answer if ticket.passive and adapter is not None else None
        return Handled(list(own), answer=answer, route=route)

    def _remember_menu(self, customer_id: str, reply: Reply) -> None:
        """A bare number answers the buttons of the customer's latest reply, and only those."""
        key = f"menu:{customer_id}"
        if not reply.buttons:
            # A reply without buttons retires the old menu: "1" must not press a stale button.
            self.store.kv.delete(key)
            return
        now = self.clock.now()
        buttons = [[button.id, button.title] for button in reply.buttons]
        self.store.kv.set(
            key, json.dumps(buttons, ensure_ascii=False), now, expires_at=now + MENU_TTL
        )

    def _address(self, reply: Reply, dedupe_key: str) -> None:
        """Log and enqueue a reply meant for someone other than the sender."""
        assert reply.to is not None
        address = reply.to
        now = self.clock.now()
        adapter = self.adapters.get(address.platform)
        if adapter is None:
            log.warning("no adapter for %s: reply dropped", address.platform)
            return
        target = self.store.customers.find(address.platform, address.user_id or address.chat_id)
        if target is not None:
            self.store.conversations.append(
                customer_id=target.id, platform=address.platform, chat_id=address.chat_id,
                direction="out", kind="text", text=reply.text, route="relay", now=now,
                payload=json.dumps(reply.to_dict(), ensure_ascii=False)
                if reply.buttons or reply.link_url or reply.image_url else None,
            )
            self._remember_menu(target.id, reply)
        for index, request in enumerate(adapter.render_to(address, [replace(reply, to=None)])):
            self.store.outbox.enqueue(request, now, dedupe_key=f"{dedupe_key}:{index}")

    def notify(self, customer_id: str, replies: Sequence[Reply], dedupe_key: str) -> str | None:
        """Send replies on our own initiative to the customer's most recent reachable platform.

        Returns the platform used, or None when no identity can be messaged now (blocked,
        unreachable, or outside the platform's messaging window).
        """
        now = self.clock.now()
        for identity in self.store.customers.reachable_identities(customer_id):
            adapter = self.adapters.get(identity.platform)
            if adapter is None:
                continue
            last = self.store.customers.last_inbound_at(identity.platform, identity.user_id)
            if not adapter.window_open(last, now):
                continue
            address = Address(identity.platform, identity.user_id, identity.user_id)
            with self.store.db.transaction():
                for index, reply in enumerate(replies):
                    self._address(replace(reply, to=address), f"notify:{dedupe_key}:{index}")
            self.outbox.wake()
            return identity.platform
        return None

    def deliver(self, replies: Sequence[Reply], dedupe_key: str) -> None:
        """Log and enqueue addressed replies made outside any message (timers, services)."""
        with self.store.db.transaction():
            for index, reply in enumerate(replies):
                if reply.to is not None:
                    self._address(reply, f"{dedupe_key}:{index}")
        self.outbox.wake()

    async def resume(self) -> int:
        """Handle deliveries recorded but never handled (the last run stopped mid-way)."""
        stale = self.store.deliveries.unhandled(self.clock.now() - STALE_DELIVERY)
        count = 0
        for delivery in stale:
            key = (delivery.platform, delivery.delivery_key)
            if key in self._in_flight:
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
