"""`brandbot store copy`: a brand that served on SQLite moves to PostgreSQL and goes on there."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.app import build_bot
from bot.config import Config
from bot.core.clock import utc_now
from bot.store import open_store
from bot.store.lock import StoreLock
from tests.helpers.chat import Chat
from tests.helpers.paths import ROOT
from tests.helpers.postgres import Cluster


@pytest.fixture
def backend() -> str:
    """The brand starts on SQLite; the copy's target is a database of the suite's server."""
    return "sqlite"


def brandbot(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], capture_output=True, text=True, cwd=ROOT,
        env={**os.environ, **(env or {})}, timeout=120, check=False,
    )


async def serve_a_while(config: Config) -> None:
    """A few customers talk, check in and look orders up on the SQLite store."""
    bot = build_bot(config)
    await bot.start()
    try:
        for number in range(3):
            chat = Chat(bot, user_id=f"visitor-{number}")
            for text in ("hello", "签到", "多久发货", "order CL2611190002"):
                await chat.say(text)
        await bot.outbox.wait_idle()
    finally:
        await bot.stop()


async def test_a_brand_moves_from_sqlite_to_postgresql_and_goes_on_there(
    make_config: Callable[..., Config], postgres: Cluster, tmp_path: Path
) -> None:
    config = make_config(rewards={"web_points": True})  # web visitors earn points here
    await serve_a_while(config)
    path = config.resolve(config.store.path)
    source = open_store(path)
    tables = [table for table in source.db.table_names() if table != "schema_migrations"]
    before = {table: int(source.db.scalar(f"SELECT count(*) FROM {table}")) for table in tables}
    visitor = source.customers.find("web", "visitor-1")
    assert visitor is not None
    balance = source.loyalty.balance(visitor.id, utc_now())
    source.close()
    assert before["conversation_log"] >= 24 and before["ledger"] == 3 and balance > 0
    url = postgres.create(f"copy_{os.getpid()}")

    done = brandbot("store", "copy", "--from", f"sqlite:{path}", "--to", url, "--counts")

    assert done.returncode == 0, done.stderr
    assert "every table's count matches" in done.stdout
    assert f"  conversation_log: {before['conversation_log']}" in done.stdout
    target = open_store(url)
    try:
        after = {table: int(target.db.scalar(f"SELECT count(*) FROM {table}"))
                 for table in tables}
        assert after == before
        customer = target.customers.find("web", "visitor-1")
        assert customer is not None
        assert target.loyalty.balance(customer.id, utc_now()) == balance
        # New rows number on after the copied ones (identity counters moved past them).
        line = target.conversations.append(
            customer_id=customer.id, platform="web", chat_id="visitor-1", direction="in",
            kind="text", text="after the move", now=utc_now(),
        )
        assert line > max(entry.id for entry in target.conversations.recent(customer.id, 100)
                          if entry.text != "after the move")
    finally:
        target.close()
    # The brand serves from PostgreSQL now: the customer's history and points came along.
    moved = build_bot(make_config(store={"url": url}, rewards={"web_points": True}))
    await moved.start()
    try:
        replies = await Chat(moved, user_id="visitor-1").say("签到")
        assert replies  # answered: "already checked in today", the check-in came along
        assert moved.store.db.scalar(
            "SELECT count(*) FROM ledger WHERE reason = 'checkin'") == 3
        assert moved.store.loyalty.balance(customer.id, utc_now()) == balance
    finally:
        await moved.stop()
        moved.store.close()

    again = brandbot("store", "copy", "--from", f"sqlite:{path}", "--to", url)
    assert again.returncode == 1 and "already holds a brand's data" in again.stderr


async def test_copying_while_a_server_holds_the_file_is_refused(
    make_config: Callable[..., Config], postgres: Cluster
) -> None:
    config = make_config()
    path = config.resolve(config.store.path)
    open_store(path).close()
    url = postgres.create(f"copy_busy_{os.getpid()}")
    with StoreLock(path):  # what `brandbot serve` holds while it runs
        done = brandbot("store", "copy", "--from", f"sqlite:{path}", "--to", url)
    assert done.returncode == 1
    assert "in use by a running brandbot serve" in done.stderr and "Traceback" not in done.stderr


def test_bad_locations_get_one_clear_line(tmp_path: Path) -> None:
    missing = brandbot("store", "copy", "--from", f"sqlite:{tmp_path}/none.db", "--to",
                       "postgresql://u@127.0.0.1/brandbot")
    assert missing.returncode == 1 and "no such store file" in missing.stderr
    (tmp_path / "a.db").write_bytes(b"")
    wrong = brandbot("store", "copy", "--from", f"sqlite:{tmp_path}/a.db", "--to",
                     "mysql://u@host/db")
    assert wrong.returncode == 1 and "--to must start with postgresql://" in wrong.stderr
    scheme = brandbot("store", "copy", "--from", f"{tmp_path}/a.db", "--to",
                      "postgresql://u@host/db")
    assert scheme.returncode == 1 and "--from must be sqlite:FILE" in scheme.stderr
