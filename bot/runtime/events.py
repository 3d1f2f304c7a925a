"""In-process publish/subscribe: "this customer's conversation has new lines" for live views.

Outgoing publishes after it logs a line for a customer; the web chat's event stream
subscribes. Only the fact is published: subscribers read the lines from the log, so a missed
or doubled notice loses nothing. Instances sharing a PostgreSQL store hand the fact to a
`relay` (a NOTIFY, sent at commit) and each one's listener delivers it to its own
subscribers (runtime/instances.py), so a line logged by one reaches a stream held by another.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager


class Subscription:
    """One listener for one customer: `wait` returns when there is news or the hub closes."""

    def __init__(self) -> None:
        self._news = asyncio.Event()
        self.closed = False

    def notify(self) -> None:
        """Wake the listener."""
        self._news.set()

    async def wait(self, timeout: float) -> bool:
        """True when there is news (or the hub closed) within `timeout` seconds."""
        try:
            await asyncio.wait_for(self._news.wait(), timeout)
        except TimeoutError:
            return False
        self._news.clear()
        return True


class ConversationEvents:
    """Who listens to which customer's conversation, and the publishing side."""

    def __init__(self, relay: Callable[[str], None] | None = None) -> None:
        self._listeners: dict[str, set[Subscription]] = defaultdict(set)
        self.relay = relay  # tells every instance (this one too, again) besides this one

    def publish(self, customer_id: str) -> None:
        """Tell every listener of this customer that new lines are logged."""
        # Here at once, and through the relay (a NOTIFY, sent at commit) everywhere: a
        # listener woken before the commit reads nothing new and is woken again by the
        # notice; one woken twice reads no line twice (it reads after the last id it sent).
        self.deliver(customer_id)
        if self.relay is not None:
            self.relay(customer_id)

    def deliver(self, customer_id: str) -> None:
        """Wake this process's listeners of this customer."""
        for subscription in tuple(self._listeners.get(customer_id, ())):
            subscription.notify()

    @contextmanager
    def subscribe(self, customer_id: str) -> Iterator[Subscription]:
        """Listen to one customer's conversation for as long as the block runs."""
        subscription = Subscription()
        self._listeners[customer_id].add(subscription)
        try:
            yield subscription
        finally:
            listeners = self._listeners.get(customer_id)
            if listeners is not None:
                listeners.discard(subscription)
                if not listeners:
                    del self._listeners[customer_id]

    def listeners(self, customer_id: str) -> int:
        """How many listen to this customer now."""
        return len(self._listeners.get(customer_id, ()))

    def close(self) -> None:
        """Wake and close every listener (the server is stopping)."""
        for listeners in tuple(self._listeners.values()):
            for subscription in tuple(listeners):
                subscription.closed = True
                subscription.notify()
