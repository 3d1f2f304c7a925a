"""What only the PostgreSQL backend promises: the event loop never waits on the database, one
writer at a time across instances, jobs run by one instance, notices between instances."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest

from bot import app
from bot.app import Bot, build_bot
from bot.config import Config
from bot.core.clock import utc_now
from bot.core.message import Address, Reply
from bot.store import Store
from bot.store.postgres import portal
from bot.store.postgres.database import WRITER_LOCK, PostgresDatabase
from tests.adapters.telegram.test_adapter import text_update
from tests.fakes.telegram_api import FakeTelegramApi, telegram_config
from tests.helpers.chat import Chat


@pytest.fixture
def backend() -> str:
    """These tests are about PostgreSQL alone."""
    return "postgresql"


@pytest.fixture
def postgres_store(new_store: Callable[..., Store]) -> Iterator[Store]:
    """A store on a fresh PostgreSQL database."""
    yield new_store("pg.db")


class Ticker:
    """Counts how often the loop let it run: a stalled loop stops it counting."""

    def __init__(self) -> None:
        self.ticks = 0
        self.longest_pause = 0.0

    async def run(self) -> None:
        last = time.perf_counter()
        while True:
            await asyncio.sleep(0.005)
            now = time.perf_counter()
            self.longest_pause = max(self.longest_pause, now - last)
            last = now
            self.ticks += 1


def db_of(store: Store) -> PostgresDatabase:
    assert isinstance(store.db, PostgresDatabase)
    return store.db


async def test_other_coroutines_run_while_a_slow_statement_waits(postgres_store: Store) -> None:
    await portal.install()
    ticker = Ticker()
    ticking = asyncio.create_task(ticker.run())
    started = time.perf_counter()
    try:
        # A task of its own, as every request and job is: the portal comes with it.
        await asyncio.create_task(_slow_statement(postgres_store))
    finally:
        ticking.cancel()
    assert time.perf_counter() - started >= 0.4
    assert ticker.ticks >= 20 and ticker.longest_pause < 0.2
    assert db_of(postgres_store).blocking_statements == 0


async def _slow_statement(store: Store) -> None:
    store.db.scalar("SELECT pg_sleep(0.4)")


async def test_a_transaction_waits_for_another_writer_without_stalling_the_loop(
    postgres_store: Store
) -> None:
    await portal.install()
    db = db_of(postgres_store)
    other = psycopg.connect(db.url, autocommit=True)
    other.execute("BEGIN")
    other.execute("SELECT pg_advisory_xact_lock(%s)", [WRITER_LOCK])

    async def write() -> None:
        with postgres_store.transaction():
            postgres_store.kv.set("k", "v", utc_now())

    ticker = Ticker()
    ticking = asyncio.create_task(ticker.run())
    writing = asyncio.create_task(write())
    await asyncio.sleep(0.3)
    assert not writing.done()  # it waits for the other instance's writer …
    assert postgres_store.kv.get("k") is None
    other.execute("COMMIT")  # … and goes on once that one commits
    await asyncio.wait_for(writing, 5)
    ticking.cancel()
    other.close()
    assert postgres_store.kv.get("k") == "v"
    assert ticker.ticks >= 20 and ticker.longest_pause < 0.2
    assert db.blocking_statements == 0


def test_a_writer_held_past_the_lock_timeout_is_busy(postgres_store: Store) -> None:
    db = db_of(postgres_store)
    db.lock_timeout_ms = db.busy_timeout_ms = 50
    with psycopg.connect(db.url, autocommit=True) as other:
        other.execute("BEGIN")
        other.execute("SELECT pg_advisory_xact_lock(%s)", [WRITER_LOCK])
        with pytest.raises(Exception, match="busy"), postgres_store.transaction():
            postgres_store.kv.set("k", "v", utc_now())
        other.execute("ROLLBACK")
    assert db.statement_failures()[0] == 1
    assert postgres_store.kv.get("k") is None


def test_one_instance_at_a_time_holds_a_job(new_store: Callable[..., Store]) -> None:
    first, second = new_store("jobs.db"), new_store("jobs.db")  # two instances, one database
    with first.db.hold("job:reminders") as mine:
        assert mine
        with second.db.hold("job:reminders") as theirs:
            assert not theirs
        with second.db.hold("job:retention") as other_job:
            assert other_job
    with second.db.hold("job:reminders") as now_theirs:
        assert now_theirs


def test_an_instance_that_dies_gives_its_jobs_up(new_store: Callable[..., Store]) -> None:
    first, second = new_store("jobs.db"), new_store("jobs.db")
    holding = first.db.hold("job:reminders")
    assert holding.__enter__()
    first.close()  # its connections end, as they do when the process is killed
    # The server frees a session's locks as its backend exits, a moment after the close.
    deadline = time.monotonic() + 5
    while True:
        with second.db.hold("job:reminders") as theirs:
            if theirs or time.monotonic() > deadline:
                break
        time.sleep(0.02)
    assert theirs


def test_ledger_rows_cannot_be_changed_on_postgresql(postgres_store: Store) -> None:
    now = utc_now()
    postgres_store.loyalty.award("a", 5, "checkin", "", "k1", now)
    with pytest.raises(psycopg.Error, match="append-only"):
        postgres_store.db.execute("UPDATE ledger SET points = 500")
    with pytest.raises(psycopg.Error, match="append-only"):
        postgres_store.db.execute("DELETE FROM ledger")
    assert postgres_store.loyalty.balance("a", now) == 5


@pytest.fixture
async def two_bots(make_config: Callable[..., Config]) -> Any:
    """Two running bots (instances) on one PostgreSQL database."""
    config = make_config()
    first, second = build_bot(config), build_bot(config)
    await first.start()
    await second.start()
    yield first, second
    await second.stop()
    await first.stop()


async def test_a_line_logged_by_one_instance_wakes_a_stream_on_the_other(
    two_bots: tuple[Bot, Bot]
) -> None:
    first, second = two_bots
    await Chat(first, user_id="visitor-1").say("hello")
    customer = first.store.customers.find("web", "visitor-1")
    assert customer is not None
    notices = next(service for service in second.services if service.name == "instance-notices")
    await asyncio.wait_for(notices.listening.wait(), 5)  # type: ignore[attr-defined]
    with second.events.subscribe(customer.id) as subscription:
        first.outgoing.deliver(
            [Reply(text="Hi, this is Wang from the shop", to=Address("web", "visitor-1",
                                                                      "visitor-1"))],
            "relay-test",
        )
        assert await subscription.wait(5.0)  # the NOTIFY went through PostgreSQL
    lines = second.store.conversations.recent(customer.id, 5)
    assert any(line.text == "Hi, this is Wang from the shop" for line in lines)


async def test_new_outbox_rows_wake_the_other_instances_sender(
    two_bots: tuple[Bot, Bot]
) -> None:
    first, second = two_bots
    before = second.outbox._wake.is_set()
    notices = [service for service in second.services if service.name == "instance-notices"]
    assert notices and not before
    await asyncio.wait_for(notices[0].listening.wait(), 5)  # type: ignore[attr-defined]
    received = getattr(notices[0], "received", 0)
    first.outbox.announce()
    for _ in range(200):
        if getattr(notices[0], "received", 0) > received:
            break
        await asyncio.sleep(0.01)
    assert getattr(notices[0], "received", 0) > received


async def test_serving_messages_runs_no_statement_blocking_the_loop(
    two_bots: tuple[Bot, Bot]
) -> None:
    first, _ = two_bots
    db = db_of(first.store)
    before = db.blocking_statements

    async def customer(number: int) -> None:
        chat = Chat(first, user_id=f"visitor-{number}")
        for text in ("hello", "order CL2611190002", "thanks"):
            await chat.say(text)

    # Each in a task, as the server runs each request: the portal comes with the task.
    await asyncio.gather(*(asyncio.create_task(customer(number)) for number in range(5)))
    await first.outbox.wait_idle()
    assert db.blocking_statements == before


async def test_one_instance_polls_telegram_and_another_takes_over_when_it_stops(
    make_config: Callable[..., Config], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(app, "PULL_RETRY_SECONDS", 0.1)
    api = FakeTelegramApi()
    await api.start()
    config = telegram_config(make_config, api.base_url, mode="polling", poll_timeout_seconds=1,
                             secret_token_env="")
    first, second = build_bot(config), build_bot(config)
    try:
        await first.start()
        await second.start()
        await asyncio.sleep(0.3)
        # Telegram answers a second getUpdates at once with 409: one instance polls.
        assert (first.pulling, second.pulling) == ({"telegram"}, set())
        await api.push(text_update(830_002_001, "多久发货"))
        await api.wait_for("sendMessage")
        await first.stop()
        for _ in range(100):
            if second.pulling:
                break
            await asyncio.sleep(0.05)
        assert second.pulling == {"telegram"}
        await api.push(text_update(830_002_002, "运费多少"))
        await api.wait_for("sendMessage", 2)
        await asyncio.sleep(0.3)
        assert len(api.calls_to("sendMessage")) == 2  # each update answered once
    finally:
        await second.stop()
        await api.close()
