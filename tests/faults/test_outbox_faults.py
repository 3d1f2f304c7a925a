"""The outbox under faults: a platform that hangs holds up only itself, a chat that hangs only
itself, an outage of hours is survived, and a clean stop gives unsent rows back at once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest

from bot.config.outbox import OutboxSettings
from bot.core.adapter import OutboundRequest, RateLimits, SendResult, SendStatus
from bot.core.clock import Clock, FixedClock
from bot.core.http import HttpTransport
from bot.runtime.outbox import Outbox
from bot.store import Store, open_store
from tests.fakes.platform_api import FakePlatformApi, Step

FAST = RateLimits(per_second=1000, per_chat_per_second=1000, burst=100)
SETTINGS = OutboxSettings(
    base_delay_seconds=0.01, max_delay_seconds=0.05, timeout_seconds=5.0,
    poll_interval_seconds=0.02, lease_seconds=6.0,
)


class GatedTransport:
    """Sends that wait for their chat's gate (a platform API stuck on some chats only)."""

    def __init__(self) -> None:
        self.gates: dict[str, asyncio.Event] = {}
        self.sent: list[str] = []

    async def send(self, session: aiohttp.ClientSession, request: OutboundRequest) -> SendResult:
        gate = self.gates.get(request.chat_id)
        if gate is not None:
            await gate.wait()
        self.sent.append(str(request.body["text"]))
        return SendResult(SendStatus.SENT)


def row(platform: str, chat: str, text: str) -> OutboundRequest:
    return OutboundRequest(platform, chat, "/send", {"chat": chat, "text": text}, user_id=chat)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return open_store(tmp_path / "outbox.db")


@pytest.fixture
async def apis() -> AsyncIterator[tuple[FakePlatformApi, FakePlatformApi]]:
    slow, fast = FakePlatformApi(), FakePlatformApi()
    await slow.start()
    await fast.start()
    yield slow, fast
    await slow.stop()
    await fast.stop()


async def until(condition: object, timeout: float = 3.0) -> None:
    async def wait() -> None:
        while not condition():  # type: ignore[operator]
            await asyncio.sleep(0.01)

    await asyncio.wait_for(wait(), timeout)


async def test_a_hanging_platform_does_not_hold_up_another(
    store: Store, apis: tuple[FakePlatformApi, FakePlatformApi]
) -> None:
    slow, fast = apis
    slow.script = [Step(stall=2.0) for _ in range(40)]
    outbox = Outbox(
        store, SETTINGS,
        {"telegram": HttpTransport(slow.url), "whatsapp": HttpTransport(fast.url)},
        {"telegram": FAST, "whatsapp": FAST}, Clock(),
    )
    await outbox.start()
    try:
        for index in range(20):
            outbox.enqueue(row("telegram", f"tg-{index}", f"t{index}"))
        await until(lambda: len(slow.requests) >= 16)  # its sends are all stuck now
        loop = asyncio.get_running_loop()
        started = loop.time()
        for index in range(5):
            outbox.enqueue(row("whatsapp", f"wa-{index}", f"w{index}"))
        await until(lambda: len(fast.delivered) == 5)
        # Delivered while every Telegram send still hangs (they stall for 2 s).
        assert loop.time() - started < 1.0
        assert slow.delivered == []
    finally:
        outbox.shutdown_grace = 0.0
        await outbox.stop()


async def test_a_hanging_chat_does_not_hold_up_the_others(store: Store) -> None:
    transport = GatedTransport()
    transport.gates["stuck"] = asyncio.Event()
    outbox = Outbox(store, SETTINGS, {"wechat": transport}, {"wechat": FAST}, Clock())
    await outbox.start()
    try:
        outbox.enqueue(row("wechat", "stuck", "s1"))
        outbox.enqueue(row("wechat", "stuck", "s2"))
        for index in range(5):
            outbox.enqueue(row("wechat", f"chat-{index}", f"c{index}"))
        await until(lambda: len(transport.sent) == 5)
        assert sorted(transport.sent) == [f"c{index}" for index in range(5)]
        transport.gates["stuck"].set()
        await until(lambda: len(transport.sent) == 7)
        # The stuck chat's own rows still went in their order.
        assert transport.sent[-2:] == ["s1", "s2"]
    finally:
        await outbox.stop()


async def test_each_chat_keeps_its_order_when_many_are_sent_at_once(
    store: Store, apis: tuple[FakePlatformApi, FakePlatformApi]
) -> None:
    _, api = apis
    api.script = [Step(500), Step(200), Step(503), Step(429, {"ok": False},
                                                       {"Retry-After": "0.02"})]
    outbox = Outbox(store, SETTINGS, {"fake": HttpTransport(api.url)}, {"fake": FAST}, Clock())
    await outbox.start()
    try:
        for number in range(6):
            for chat in ("a", "b", "c"):
                outbox.enqueue(row("fake", chat, f"{chat}{number}"))
        await until(lambda: len(api.delivered) == 18)
    finally:
        await outbox.stop()
    for chat in ("a", "b", "c"):
        texts = [sent["json"]["text"] for sent in api.delivered if sent["json"]["chat"] == chat]
        assert texts == [f"{chat}{number}" for number in range(6)]


async def test_a_reply_survives_an_outage_of_hours_then_can_be_driven_again(
    store: Store, apis: tuple[FakePlatformApi, FakePlatformApi]
) -> None:
    _, api = apis
    clock = FixedClock(datetime(2026, 11, 23, 8, 0, tzinfo=UTC))
    settings = OutboxSettings(
        retry_hours=12.0, base_delay_seconds=0.01, max_delay_seconds=0.02,
        timeout_seconds=2.0, poll_interval_seconds=0.02, lease_seconds=3.0,
    )
    api.script = [Step(503) for _ in range(10_000)]  # down, down, down …
    outbox = Outbox(store, settings, {"fake": HttpTransport(api.url)}, {"fake": FAST}, clock)
    await outbox.start()
    try:
        outbox.enqueue(row("fake", "chat", "still coming"))
        for _ in range(11):  # eleven hours of an outage
            attempts = len(api.requests)
            await until(lambda attempts=attempts: len(api.requests) > attempts)
            clock.advance(hours=1)
        assert store.outbox.list()[0].status in ("pending", "sending")
        api.script = []  # back up
        outbox.wake()
        await until(lambda: len(api.delivered) == 1)
        assert store.outbox.list()[0].status == "sent"

        api.script = [Step(503) for _ in range(10_000)]
        outbox.enqueue(row("fake", "chat", "later"))
        while store.outbox.counts().get("failed", 0) == 0:
            attempts = len(api.requests)
            await until(lambda attempts=attempts: len(api.requests) > attempts)
            clock.advance(hours=4)
        [failed] = store.outbox.list(("failed",))
        assert "gave up after" in failed.last_error and "h:" in failed.last_error
        api.script = []
        assert store.outbox.retry(clock.now(), failed.id) == 1
        outbox.wake()
        await until(lambda: len(api.delivered) == 2)
    finally:
        await outbox.stop()


async def test_a_clean_stop_gives_rows_on_the_wire_back_at_once(tmp_path: Path) -> None:
    path = tmp_path / "stop.db"
    store = open_store(path)
    transport = GatedTransport()
    transport.gates["chat"] = asyncio.Event()  # the platform never answers before the stop
    outbox = Outbox(store, SETTINGS, {"fake": transport}, {"fake": FAST}, Clock())
    await outbox.start()
    outbox.enqueue(row("fake", "chat", "in flight"))
    await until(lambda: store.outbox.counts().get("sending") == 1)
    outbox.shutdown_grace = 0.1
    await outbox.stop()
    assert store.outbox.counts() == {"pending": 1}
    store.close()

    again = open_store(path)
    sender = GatedTransport()
    restarted = Outbox(again, SETTINGS, {"fake": sender}, {"fake": FAST}, Clock())
    loop = asyncio.get_running_loop()
    started = loop.time()
    await restarted.start()
    try:
        await until(lambda: sender.sent == ["in flight"])
        assert loop.time() - started < SETTINGS.lease_seconds  # not after the lease
    finally:
        await restarted.stop()
        again.close()


def test_backoff_is_capped_however_many_attempts() -> None:
    outbox = Outbox.__new__(Outbox)
    outbox.settings = SETTINGS
    assert outbox.backoff(10_000, None) <= SETTINGS.max_delay_seconds
    assert timedelta(seconds=outbox.backoff(3, 1e9)) <= timedelta(
        seconds=SETTINGS.max_delay_seconds
    )
