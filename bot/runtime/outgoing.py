"""Everything that leaves the bot: replies rendered and enqueued, relays, notifications.

The one home of proactive sending and of the messaging-window rule: the pipeline's replies,
relays to staff and customers, `notify` (order events, pending lookups, reminders),
`deliver` (timers) and the broadcast plan all go through here, and every send is an outbox
row written in the caller's transaction.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import replace
from datetime import datetime

from bot.core.adapter import Adapter, NoticeRenderer, Rendered, WebhookAnswer
from bot.core.clock import Clock
from bot.core.message import Address, Message, Reply
from bot.runtime.events import ConversationEvents
from bot.store import Store
from bot.store.held import ANSWER, REST

log = logging.getLogger(__name__)


def payload_of(reply: Reply) -> str | None:
    """What the conversation log keeps of a reply beyond its text (buttons, links, images)."""
    if reply.buttons or reply.link_url or reply.image_url:
        return json.dumps(reply.to_dict(), ensure_ascii=False)
    return None


class Outgoing:
    """Renders replies for their platform and stores every send in the outbox."""

    def __init__(
        self, store: Store, adapters: Mapping[str, Adapter], clock: Clock,
        wake: Callable[[], None], events: ConversationEvents | None = None,
    ) -> None:
        self.store = store
        self.adapters = dict(adapters)
        self.clock = clock
        self.wake = wake  # tells the outbox sender there is new work
        # Live views (the web chat's stream) hear of every line logged for a customer.
        self.events = events or ConversationEvents()

    @property
    def platforms(self) -> Collection[str]:
        """The platforms replies can be sent on."""
        return tuple(self.adapters)

    def is_open(self, platform: str, user_id: str, now: datetime) -> bool:
        """Whether a free-form message may go to this identity now (its platform's window)."""
        adapter = self.adapters.get(platform)
        if adapter is None:
            return False
        return adapter.window_open(self.store.customers.last_inbound_at(platform, user_id), now)

    def answer(
        self, message: Message, customer_id: str, replies: Sequence[Reply], route: str, *,
        passive: bool, earlier: Sequence[Reply] = (),
    ) -> Rendered:
        """Log and enqueue the replies to one message (call inside the message's transaction).

        Replies without an address are the sender's: rendered together (passively when
        allowed), after `earlier` (held replies given now, logged when they were made);
        addressed ones are relays. The rendering's webhook answer is returned.
        """
        now = self.clock.now()
        own = [reply for reply in replies if reply.to is None]
        adapter = self.adapters.get(message.platform)
        rendered = Rendered()
        # Rendered even without replies: Telegram must stop a button's spinner, WhatsApp
        # marks the message read.
        if adapter is not None:
            rendered = adapter.render(message, [*earlier, *own], passive=passive)
        for reply in own:
            self.store.conversations.append(
                customer_id=customer_id, platform=message.platform, chat_id=message.chat_id,
                direction="out", kind="text", text=reply.text, route=route,
                payload=payload_of(reply), now=now,
            )
        if own:
            self._remember_menu(customer_id, own[-1], now)
        base = f"{message.platform}:{message.message_id}"
        for index, request in enumerate(rendered.outbound):
            self.store.outbox.enqueue(request, now, dedupe_key=f"{base}:{index}")
        self.keep_held(message, rendered, passive=passive)
        for index, reply in enumerate(r for r in replies if r.to is not None):
            self.relay(reply, f"{base}:to{index}")
        return rendered

    def keep_held(self, message: Message, rendered: Rendered, *, passive: bool) -> None:
        """Store the replies the platform cannot send now, for a later passive answer
        (runtime/held.py gives them); call inside the message's transaction."""
        if not rendered.held:
            return
        reason = REST if passive else ANSWER
        self.store.held.hold(
            message.platform, message.chat_id, message.user_id, rendered.held,
            self.clock.now(), reason=reason, source=message.message_id,
            dedupe_key=f"{message.platform}:{message.message_id}:{reason}",
        )

    def passive_answer(self, message: Message, replies: Sequence[Reply]) -> WebhookAnswer | None:
        """The webhook answer carrying `replies` again (for a platform's retry of a message
        answered passively); the parts that went through the outbox are not sent again."""
        adapter = self.adapters.get(message.platform)
        if adapter is None:
            return None
        return adapter.render(message, [r for r in replies if r.to is None], passive=True).answer

    def relay(self, reply: Reply, dedupe_key: str) -> None:
        """Log and enqueue a reply meant for its address, not for the sender of a message."""
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
                payload=payload_of(reply),
            )
            self._remember_menu(target.id, reply, now)
            # Listeners run after this transaction: no await happens before it commits.
            self.events.publish(target.id)
        for index, request in enumerate(adapter.render_to(address, [replace(reply, to=None)])):
            self.store.outbox.enqueue(request, now, dedupe_key=f"{dedupe_key}:{index}")

    def notify(self, customer_id: str, replies: Sequence[Reply], dedupe_key: str) -> str | None:
        """Send replies on our own initiative to the customer's most recent reachable platform.

        A platform whose messaging window is open gets the replies themselves; failing that,
        one with an approved template for each reply's notice (an order shipped, points
        expiring) gets the templates. Returns the platform used, or None when no identity can
        be messaged now (blocked, unreachable, outside every window without a template).
        """
        now = self.clock.now()
        identities = self.store.customers.reachable_identities(customer_id)
        for identity in identities:
            if not self.is_open(identity.platform, identity.user_id, now):
                continue
            address = Address(identity.platform, identity.user_id, identity.user_id)
            with self.store.transaction():
                for index, reply in enumerate(replies):
                    self.relay(replace(reply, to=address), f"notify:{dedupe_key}:{index}")
            self.wake()
            return identity.platform
        for identity in identities:
            address = Address(identity.platform, identity.user_id, identity.user_id)
            if self._notify_by_template(customer_id, address, replies, dedupe_key):
                return identity.platform
        return None

    def _notify_by_template(
        self, customer_id: str, address: Address, replies: Sequence[Reply], dedupe_key: str
    ) -> bool:
        """Send each reply as its notice's template on this platform, if it has them all."""
        adapter = self.adapters.get(address.platform)
        if not isinstance(adapter, NoticeRenderer) or not replies:
            return False
        rendered = []
        for reply in replies:
            requests = adapter.render_notice(address, reply.notice) if reply.notice else ()
            if not requests:
                return False
            rendered.append((reply, requests))
        now = self.clock.now()
        with self.store.transaction():
            for index, (reply, requests) in enumerate(rendered):
                self.store.conversations.append(
                    customer_id=customer_id, platform=address.platform, chat_id=address.chat_id,
                    direction="out", kind="text", text=reply.text, route="template",
                    payload=payload_of(reply), now=now,
                )
                for part, request in enumerate(requests):
                    self.store.outbox.enqueue(
                        request, now, dedupe_key=f"notify:{dedupe_key}:{index}:template:{part}"
                    )
        self.events.publish(customer_id)
        self.wake()
        log.info("%s: outside the messaging window, sent as templates", address.platform)
        return True

    def deliver(self, replies: Sequence[Reply], dedupe_key: str) -> None:
        """Log and enqueue addressed replies made outside any message (timers, services)."""
        with self.store.transaction():
            for index, reply in enumerate(replies):
                if reply.to is not None:
                    self.relay(reply, f"{dedupe_key}:{index}")
        self.wake()

    def _remember_menu(self, customer_id: str, reply: Reply, now: datetime) -> None:
        """A bare number answers the buttons of the customer's latest reply, and only those."""
        buttons = [(button.id, button.title) for button in reply.buttons]
        self.store.menus.remember(customer_id, buttons, now)
