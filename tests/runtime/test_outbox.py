"""The outbox against a fake platform API: retries, Retry-After, stalls, restarts."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest

from bot.config.outbox import OutboxSettings
from bot.core.adapter import OutboundRequest, RateLimits, SendResult, SendStatus
from bot.core.clock import Clock
from bot.core.http import HttpTransport, classify_http, retry_after_seconds
from bot.runtime.outbox import Outbox
from bot.store import Store
from tests.fakes.platform_api import FakePlatformApi, Step

SETTINGS = OutboxSettings(
    max_attempts=5, base_delay_seconds=0.01, max_delay_seconds=0.5, timeout_seconds=0.3,
    poll_interval_seconds=0.02, lease_seconds=0.2,
)
FAST = RateLimits(per_second=1000, per_chat_per_second=1000, burst=100)


@pytest.fixture
async def api() -> AsyncIterator[FakePlatformApi]:
    fake = FakePlatformApi()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
def store(new_store: Callable[..., Store]) -> Store:
    return new_store("outbox.db")


def make_outbox(store: Store, api: FakePlatformApi, limits: RateLimits = FAST) -> Outbox:
    return Outbox(store, SETTINGS, {"fake": HttpTransport(api.url)}, {"fake": limits}, Clock())


def request(text: str, chat: str = "chat-1") -> OutboundRequest:
    return OutboundRequest("fake", chat, "/send", {"chat": chat, "text": text}, user_id=chat)


async def settle(outbox: Outbox) -> None:
    """Wait until every row is final (sent, failed or undeliverable)."""
    for _ in range(500):
        counts = outbox.store.outbox.counts()
        if not counts.get("pending") and not counts.get("sending"):
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"outbox never settled: {outbox.store.outbox.counts()}")


async def test_429_with_retry_after_then_success_delivers_once(
    store: Store, api: FakePlatformApi
) -> None:
    api.script = [Step(429, {"ok": False}, {"Retry-After": "0.05"})]
    outbox = make_outbox(store, api)
    await outbox.start()
    try:
        outbox.enqueue(request("hello"))
        await settle(outbox)
    finally:
        await outbox.stop()
    assert [r["json"]["text"] for r in api.delivered] == ["hello"]
    assert len(api.requests) == 2
    [row] = store.outbox.list()
    assert row.status == "sent" and row.attempts == 2


async def test_500s_are_retried_and_a_stall_times_out_then_succeeds(
    store: Store, api: FakePlatformApi
) -> None:
    api.script = [Step(500), Step(503), Step(stall=1.0)]
    outbox = make_outbox(store, api)
    await outbox.start()
    try:
        outbox.enqueue(request("tea"))
        await settle(outbox)
    finally:
        await outbox.stop()
    # The stalled request may still have reached the server: it counts as not delivered.
    assert [r["json"]["text"] for r in api.delivered] == ["tea"]
    [row] = store.outbox.list()
    assert row.status == "sent" and row.attempts == 4


async def test_other_4xx_is_not_retried(store: Store, api: FakePlatformApi) -> None:
    api.script = [Step(400, {"ok": False, "description": "chat not found"})]
    outbox = make_outbox(store, api)
    await outbox.start()
    try:
        outbox.enqueue(request("x"))
        await settle(outbox)
    finally:
        await outbox.stop()
    [row] = store.outbox.list()
    assert row.status == "failed" and "chat not found" in row.last_error
    assert len(api.requests) == 1


async def test_gives_up_after_max_attempts(store: Store, api: FakePlatformApi) -> None:
    api.script = [Step(500)] * 10
    outbox = make_outbox(store, api)
    await outbox.start()
    try:
        outbox.enqueue(request("x"))
        await settle(outbox)
    finally:
        await outbox.stop()
    [row] = store.outbox.list()
    assert row.status == "failed" and "gave up after 5 attempts" in row.last_error
    assert len(api.requests) == SETTINGS.max_attempts


async def test_rows_pending_at_shutdown_are_sent_after_restart(
    new_store: Callable[..., Store], api: FakePlatformApi
) -> None:
    path = "restart.db"
    first = new_store(path)
    # Enqueued while no sender runs, as if the process stopped right after storing them.
    for text in ("one", "two", "three"):
        first.outbox.enqueue(request(text), Clock().now())
    first.close()
    second = new_store(path)
    outbox = make_outbox(second, api)
    await outbox.start()
    try:
        await settle(outbox)
    finally:
        await outbox.stop()
    assert [r["json"]["text"] for r in api.delivered] == ["one", "two", "three"]


async def test_a_row_leased_by_a_dead_sender_is_sent_once_its_lease_lapses(
    store: Store, api: FakePlatformApi
) -> None:
    from datetime import timedelta

    from bot.core.clock import Clock

    store.outbox.enqueue(request("orphan"), Clock().now())
    claimed = store.outbox.claim_due(Clock().now(), 10, timedelta(seconds=0.1))
    assert len(claimed) == 1  # a sender took it and died without finishing
    outbox = make_outbox(store, api)
    await outbox.start()
    try:
        await settle(outbox)
    finally:
        await outbox.stop()
    assert [r["json"]["text"] for r in api.delivered] == ["orphan"]


async def test_messages_to_one_chat_keep_their_order_through_retries(
    store: Store, api: FakePlatformApi
) -> None:
    api.script = [Step(500)]
    outbox = make_outbox(store, api)
    await outbox.start()
    try:
        for text in ("1", "2", "3"):
            outbox.enqueue(request(text))
        await settle(outbox)
    finally:
        await outbox.stop()
    assert [r["json"]["text"] for r in api.delivered] == ["1", "2", "3"]


async def test_per_chat_rate_limit_spaces_sends(store: Store, api: FakePlatformApi) -> None:
    limits = RateLimits(per_second=1000, per_chat_per_second=20, burst=1)
    outbox = make_outbox(store, api, limits)
    await outbox.start()
    try:
        loop = asyncio.get_running_loop()
        started = loop.time()
        for text in ("a", "b", "c"):
            outbox.enqueue(request(text))
        await settle(outbox)
        elapsed = loop.time() - started
    finally:
        await outbox.stop()
    assert [r["json"]["text"] for r in api.delivered] == ["a", "b", "c"]
    assert elapsed >= 0.09  # two waits of 1/20 s: the limiter made them, not the network


async def test_dedupe_key_enqueues_once(store: Store) -> None:
    from bot.core.clock import Clock

    now = Clock().now()
    assert store.outbox.enqueue(request("x"), now, dedupe_key="k") is not None
    assert store.outbox.enqueue(request("x"), now, dedupe_key="k") is None
    assert store.outbox.counts() == {"pending": 1}


async def test_unreachable_customer_is_not_sent_to(store: Store, api: FakePlatformApi) -> None:
    from bot.core.clock import Clock

    store.customers.resolve("fake", "chat-1", Clock().now())
    store.customers.mark_unreachable("fake", "chat-1")
    outbox = make_outbox(store, api)
    await outbox.start()
    try:
        outbox.enqueue(request("x"))
        await settle(outbox)
    finally:
        await outbox.stop()
    assert api.requests == []
    assert store.outbox.list()[0].status == "undeliverable"


def test_classify_http_and_retry_after() -> None:
    assert classify_http(200, {}, {}).status is SendStatus.SENT
    assert classify_http(502, {}, None).status is SendStatus.RETRY
    assert classify_http(403, {}, {"error": "no"}).status is SendStatus.FAILED
    limited = classify_http(429, {}, {"parameters": {"retry_after": 7}})
    assert limited == SendResult(SendStatus.RETRY, limited.error, 7.0)
    assert retry_after_seconds({"Retry-After": "3"}, None) == 3.0
    assert retry_after_seconds({"Retry-After": "soon"}, None) is None
