"""Another writer on the SQLite file: the server never freezes, answers 503 with Retry-After
while the lock is held, loses nothing, and the WAL file shrinks again after a long reader."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.app import Bot, build_bot
from bot.config import Config
from bot.core.errors import StoreBusy
from bot.server.app import create_app
from bot.server.running import BOT_KEY
from bot.store.checkpoints import WalCheckpoints
from tests.helpers.chat import Chat
from tests.helpers.web import Visitor, visit

Client = TestClient[Any, Any]


@pytest.fixture
def config(make_config: Callable[..., Config]) -> Config:
    """One visitor sends 80 messages quickly here: the flood limit is not what is tested."""
    return make_config(web={"messages_per_minute": 10_000, "message_burst": 10_000})


@pytest.fixture
async def client(config: Config, aiohttp_client: Callable[..., Any]) -> Client:
    client: Client = await aiohttp_client(create_app(build_bot(config)))
    return client


class OutsideWriter:
    """Another process's connection holding the write lock (a backup script, sqlite3 CLI)."""

    def __init__(self, path: str) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)

    def lock(self) -> None:
        self.conn.execute("BEGIN IMMEDIATE")
        self.conn.execute("INSERT INTO kv (key, value, updated_at) VALUES ('x', 'y', 'z')")

    def release(self) -> None:
        self.conn.execute("ROLLBACK")
        self.conn.close()


async def longest_pause(work: Callable[[], Any]) -> float:
    """The longest the event loop went without running a ticker while `work` ran."""
    longest = 0.0
    stop = asyncio.Event()

    async def tick() -> None:
        nonlocal longest
        last = time.monotonic()
        while not stop.is_set():
            await asyncio.sleep(0.005)
            now = time.monotonic()
            longest = max(longest, now - last)
            last = now

    ticker = asyncio.create_task(tick())
    try:
        await work()
    finally:
        stop.set()
        await ticker
    return longest


async def test_a_held_lock_gets_503s_not_a_frozen_server_and_loses_nothing(
    client: Client,
) -> None:
    bot: Bot = client.app[BOT_KEY]
    visitor: Visitor = await visit(client)
    writer = OutsideWriter(bot.store.db.path)
    writer.lock()
    statuses: list[int] = []
    retry_after: set[str] = set()

    async def flood() -> None:
        for index in range(40):
            response = await visitor.post({"text": "多久发货", "message_id": f"locked-{index}"})
            statuses.append(response.status)
            retry_after.add(response.headers.get("Retry-After", ""))

    try:
        pause = await longest_pause(flood)
        # The store answers reads meanwhile: health still reports.
        assert (await client.get("/healthz")).status == 200
    finally:
        writer.release()
    assert set(statuses) == {503} and retry_after == {"1"}
    assert pause < 0.5, pause  # a 100 ms busy timeout, then failing fast: never seconds
    # Once the lock is gone, the same messages go through, each answered once.
    await asyncio.sleep(0.3)
    for index in range(40):
        answer = await visitor.say("多久发货", message_id=f"locked-{index}")
        assert "16:00" in answer["replies"][0]["text"]
    await bot.ingress.drain()
    assert bot.store.deliveries.unhandled(bot.clock.now() + timedelta(days=1)) == []


async def test_a_message_caught_by_the_lock_midway_is_handled_after_it(
    make_config: Callable[..., Config],
) -> None:
    bot = build_bot(make_config())
    await bot.start()
    try:
        chat = Chat(bot, user_id="midway")
        message = chat.message("多久发货")
        assert bot.pipeline.record(message)
        await bot.store.committed()  # recorded as a webhook's answer would wait for
        writer = OutsideWriter(bot.store.db.path)
        writer.lock()
        with pytest.raises(StoreBusy):
            await bot.pipeline.handle(message)
        writer.release()
        await asyncio.sleep(0.3)
        # The customer tries again: answered at once (not after the delivery's lease).
        again = await bot.pipeline.receive(message)
        assert again.duplicate and "16:00" in again.replies[0].text
        delivery = bot.store.deliveries.get("web", message.message_id)
        assert delivery is not None and delivery.status == "handled"
    finally:
        await bot.stop()


async def test_the_wal_shrinks_after_a_long_reader(make_config: Callable[..., Config]) -> None:
    bot = build_bot(make_config())
    await bot.start()
    try:
        path = bot.store.db.path
        reader = sqlite3.connect(path, isolation_level=None)
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM kv").fetchone()  # holds its snapshot open
        now = bot.clock.now()
        for index in range(3000):
            bot.store.kv.set(f"fill:{index}", "x" * 2000, now)
        service = WalCheckpoints(path)
        grown = service.wal_bytes()
        assert grown > 4 * 1024 * 1024
        await service.round()  # cannot finish while the reader stays
        reader.execute("COMMIT")
        reader.close()
        await service.round()
        assert service.wal_bytes() < grown / 10
    finally:
        await bot.stop()
