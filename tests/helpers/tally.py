"""What became of every message: the store (a file or a PostgreSQL URL) and the fakes'
records, reconciled.

Acknowledged messages must be recorded and handled (once); every outbox row to a platform must
end `sent` and be among the sends the platform took; a platform that took the same row more
than once got a duplicate.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.store import open_store
from tests.helpers.customers import Delivery
from tests.helpers.platforms import PLATFORMS, Send, canonical, chat_of


@dataclass(slots=True)
class Tally:
    """The outcome of a run, counted."""

    acked: int = 0
    lost: list[str] = field(default_factory=list)  # acked, and not in the store at all
    unhandled: list[str] = field(default_factory=list)  # recorded, never handled
    silent: list[str] = field(default_factory=list)  # handled without a reply
    handled_twice: list[str] = field(default_factory=list)  # logged as received twice
    rows: Counter[str] = field(default_factory=Counter)  # outbox rows by status
    undelivered: list[str] = field(default_factory=list)  # rows the platform never took
    duplicates: int = 0  # sends a platform took more often than there are rows
    strays: list[Send] = field(default_factory=list)  # sends no row stands for

    @property
    def unsent(self) -> int:
        """Outbox rows not (yet) sent."""
        return sum(count for status, count in self.rows.items() if status != "sent")

    @property
    def settled(self) -> bool:
        """Nothing acknowledged is still unanswered or unsent."""
        return not (self.lost or self.unhandled or self.unsent or self.undelivered)

    def summary(self) -> str:
        """One line for an assertion message or a report."""
        return (f"acked {self.acked}, lost {len(self.lost)}, unhandled {len(self.unhandled)}, "
                f"silent {len(self.silent)}, handled twice {len(self.handled_twice)}, "
                f"rows {dict(self.rows)}, undelivered {len(self.undelivered)}, "
                f"duplicates {self.duplicates}, strays {len(self.strays)}")


def inbound_lines(db: str | Path, deliveries: Iterable[Delivery]) -> Counter[tuple[str, str]]:
    """How often each delivery was logged as received, by (platform, key)."""
    store = open_store(db)
    try:
        counted: Counter[tuple[str, str]] = Counter()
        wanted = {(delivery.platform, delivery.key) for delivery in deliveries}
        people = {(platform, user) for platform, user in
                  ((delivery.platform, delivery.user_id) for delivery in deliveries)}
        for platform, user_id in people:
            customer = store.customers.find(platform, user_id)
            if customer is None:
                continue
            for entry in store.conversations.recent(customer.id, 100_000, platform=platform):
                key = (entry.platform, entry.message_id or "")
                if entry.direction == "in" and key in wanted:
                    counted[key] += 1
        return counted
    finally:
        store.close()


def tally(db: str | Path, deliveries: Iterable[Delivery], sends: list[Send]) -> Tally:
    """Reconcile what customers were told with the store and what the platforms took."""
    deliveries = list(deliveries)
    result = Tally()
    logged = inbound_lines(db, deliveries)
    store = open_store(db)
    try:
        for delivery in deliveries:
            name = f"{delivery.platform}:{delivery.key}"
            if logged[(delivery.platform, delivery.key)] > 1:
                result.handled_twice.append(name)
            if not delivery.acked:
                continue
            result.acked += 1
            found = store.deliveries.get(delivery.platform, delivery.key)
            if found is None:
                result.lost.append(name)
            elif found.status != "handled":
                result.unhandled.append(name)
            elif not found.replies:
                result.silent.append(name)
        rows = store.outbox.list(limit=1_000_000)
    finally:
        store.close()
    expected: Counter[Send] = Counter()
    for row in rows:
        result.rows[row.status] += 1
        if row.request.platform not in PLATFORMS:
            continue  # the web chat's: written to the log, read by the widget
        request = row.request
        chat = chat_of(request.platform, request.chat_id, request.body)
        expected[Send(request.platform, chat, canonical(request.body))] += 1
    took = Counter(sends)
    for send, count in expected.items():
        if took[send] < count:
            result.undelivered += [f"{send.platform}:{send.chat_id}"] * (count - took[send])
    for send, count in took.items():
        if send not in expected:
            result.strays += [send] * count
        elif count > expected[send]:
            result.duplicates += count - expected[send]
    return result


def left_at_the_kill(db: str | Path) -> tuple[int, int]:
    """Rows on the wire, and messages taken but not answered, as a killed process left them
    (with several instances, the live ones' too: they share the store)."""
    store = open_store(db)
    try:
        sending = store.outbox.counts().get("sending", 0)
        later = datetime.now(UTC) + timedelta(days=1)  # live leases too
        unanswered = len(store.deliveries.unhandled(later, limit=100_000))
    finally:
        store.close()
    return sending, unanswered
