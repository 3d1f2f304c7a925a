"""A long outbox queue costs nothing while it waits: claims read only the queue's heads."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest

from bot.config.outbox import OutboxSettings
from bot.core.adapter import OutboundRequest, RateLimits, SendResult, SendStatus
from bot.core.clock import Clock
from bot.runtime.outbox import Outbox
from bot.store import Store, open_store
from bot.store.outbox import SCAN, OutboxRow

LIMITS = RateLimits(per_second=1000, per_chat_per_second=1000, burst=100)


class HeldTransport:
    """A platform whose answers wait until the test lets them go."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.sent: list[str] = []

    async def send(
        self, session: aiohttp.ClientSession, request: OutboundRequest
    ) -> SendResult:
        await self.release.wait()
        self.sent.append(str(request.body["text"]))
        return SendResult(SendStatus.SENT, platform_message_id=str(len(self.sent)))


def queue(store: Store, rows: int, chats: int) -> None:
    now = Clock().now()
    with store.transaction():
        for number in range(rows):
            chat = str(number % chats)
            store.outbox.enqueue(
                OutboundRequest("telegram", chat, "/sendMessage", {"text": str(number)}),
                now, dedupe_key=str(number),
            )


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return open_store(tmp_path / "outbox.db")


def test_a_claim_walks_the_unfinished_rows_in_order_without_sorting(store: Store) -> None:
    queue(store, 50, chats=50)
    plan = " ".join(
        str(tuple(row)) for row in store.db.conn.execute(
            "EXPLAIN QUERY PLAN SELECT o.id FROM outbox o INDEXED BY outbox_unfinished"
            " WHERE o.status IN ('pending', 'sending') AND o.platform = 'telegram'"
            " ORDER BY o.platform, o.id LIMIT 1"
        )
    )
    assert "outbox_unfinished" in plan and "TEMP B-TREE" not in plan
    claimed = store.outbox.claim_due(Clock().now(), 3, timedelta(seconds=15), "telegram")
    assert [row.request.body["text"] for row in claimed] == ["0", "1", "2"]


async def test_a_chat_queue_behind_a_send_on_the_wire_is_not_searched_again(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    queue(store, 2000, chats=1)
    transport = HeldTransport()
    outbox = Outbox(store, OutboxSettings(), {"telegram": transport}, {"telegram": LIMITS},
                    Clock())
    claims: list[int] = []
    claim_due = store.outbox.claim_due

    def counted(*args: object, **kwargs: object) -> list[OutboxRow]:
        found = claim_due(*args, **kwargs)  # type: ignore[arg-type]
        claims.append(len(found))
        return found

    monkeypatch.setattr(store.outbox, "claim_due", counted)
    await outbox.open()
    try:
        for _ in range(50):
            outbox.run_once()
            await asyncio.sleep(0)
        # The head went on the wire; 1,999 rows wait behind it and are not searched 49 times.
        assert claims == [1]
        transport.release.set()
        for _ in range(20):
            await asyncio.sleep(0.01)
            if transport.sent:
                break
        assert transport.sent == ["0"]
        await asyncio.sleep(0.01)
        outbox.run_once()  # the send's end woke the sender: the next row goes
        assert claims[:2] == [1, 1]
    finally:
        await outbox.close()
        store.close()


def test_a_chat_behind_a_deep_queue_of_another_is_still_claimed(
    new_store: Callable[..., Store],
) -> None:
    store = new_store()
    now = Clock().now()
    with store.transaction():
        for number in range(SCAN + 50):  # one chat's backlog, longer than a claim's first look
            store.outbox.enqueue(
                OutboundRequest("telegram", "deep", "/sendMessage", {"text": f"d{number}"}), now
            )
        store.outbox.enqueue(OutboundRequest("telegram", "late", "/sendMessage", {"text": "l"}),
                             now)
        store.outbox.enqueue(OutboundRequest("telegram", "later", "/sendMessage", {"text": "x"}),
                             now, not_before=now + timedelta(minutes=5))
    lease = timedelta(seconds=15)
    [head] = store.outbox.claim_due(now, 1, lease, "telegram")
    assert head.request.body["text"] == "d0"
    claimed = store.outbox.claim_due(now, 5, lease, "telegram", exclude=[head.id])
    # The deep chat waits on its head; the chat behind it goes; the backing-off one waits.
    assert [row.request.body["text"] for row in claimed] == ["l"]
    assert store.outbox.claim_due(now, 5, lease, "telegram", exclude=[head.id]) == []
    # (Rows this sender has on the wire stay excluded, their leases lapsed or not.)
    due = store.outbox.claim_due(now + timedelta(minutes=6), 5, lease, "telegram",
                                 exclude=[head.id, claimed[0].id])
    assert [row.request.body["text"] for row in due] == ["x"]


def work_of_a_claim(store: Store, rows: int) -> int:
    """SQLite virtual-machine steps (in hundreds) one claim takes behind `rows` queued rows
    of two chats whose heads are on the wire."""
    queue(store, rows, chats=2)
    now = Clock().now()
    lease = timedelta(seconds=15)
    heads = store.outbox.claim_due(now, 2, lease, "telegram")
    steps = 0

    def count() -> int:
        nonlocal steps
        steps += 1
        return 0

    store.db.conn.set_progress_handler(count, 100)
    assert store.outbox.claim_due(now, 8, lease, "telegram", exclude=[r.id for r in heads]) == []
    store.db.conn.set_progress_handler(None, 0)
    return steps


def test_a_claim_costs_the_same_behind_a_short_and_a_long_backlog(tmp_path: Path) -> None:
    short = work_of_a_claim(open_store(tmp_path / "short.db"), 400)
    long = work_of_a_claim(open_store(tmp_path / "long.db"), 40_000)
    # Walking every queued row would make the long one a hundred times the work.
    assert long <= 2 * short + 5, (short, long)
