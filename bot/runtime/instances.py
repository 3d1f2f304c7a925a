"""What instances sharing one PostgreSQL store tell each other, as LISTEN/NOTIFY notices:
"new outbox rows" (wake your sender) and "new lines for this customer" (wake your live views).

A notice is only a wake-up: whoever gets it reads the store, so a notice lost while the
listening connection was down costs a poll interval, never a message.
"""

from __future__ import annotations

import asyncio
import logging

from bot.core.service import Service
from bot.runtime.events import ConversationEvents
from bot.runtime.outbox import OUTBOX_CHANNEL, Outbox
from bot.store import Store

log = logging.getLogger(__name__)

CONVERSATION_CHANNEL = "brandbot_conversation"
RECONNECT_SECONDS = 1.0


class InstanceNotices(Service):
    """Listens for the other instances' notices and passes each to this instance's part."""

    def __init__(self, store: Store, outbox: Outbox, events: ConversationEvents) -> None:
        super().__init__("instance-notices", RECONNECT_SECONDS)
        self.store = store
        self.outbox = outbox
        self.events = events
        self.received = 0
        self.listening = asyncio.Event()  # set while this instance hears the others

    @property
    def active(self) -> bool:
        """Only a shared store has other instances to hear from."""
        return self.store.db.backend == "postgresql"

    def relay(self, customer_id: str) -> None:
        """Tell every instance (this one included) that a customer's log has new lines."""
        self.store.db.notify(CONVERSATION_CHANNEL, customer_id)

    async def round(self) -> float | None:
        """Listen until the connection ends; then reconnect after a moment."""
        channels = (OUTBOX_CHANNEL, CONVERSATION_CHANNEL)
        try:
            async for channel, payload in self.store.db.notifications(
                channels, self.listening.set
            ):
                self.received += 1
                if channel == OUTBOX_CHANNEL:
                    self.outbox.wake()
                elif channel == CONVERSATION_CHANNEL:
                    self.events.deliver(payload)
        finally:
            self.listening.clear()
        log.warning("the store's notice connection ended: listening again")
        return RECONNECT_SECONDS
