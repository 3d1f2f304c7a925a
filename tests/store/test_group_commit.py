"""Group commit: concurrent blocks share one COMMIT, a write is durable only once `committed()`
returns, a failing block loses only its own writes, and a lost group loses all of its writes,
tells its waiters and its rollback listeners, and is never acknowledged over HTTP."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.app import build_bot
from bot.config import Config
from bot.core.errors import StoreBusy
from bot.server.app import create_app
from bot.server.running import BOT_KEY
from bot.store.database import Database
from tests.helpers.web import visit

SCHEMA = """
CREATE TABLE notes (n INTEGER NOT NULL);
CREATE TABLE parents (id INTEGER PRIMARY KEY);
CREATE TABLE children (parent INTEGER REFERENCES parents (id) DEFERRABLE INITIALLY DEFERRED);
"""


def grouped(path: Path) -> Database:
    """A database with the test tables (made outside a group), grouping from now on."""
    db = Database(path)
    with db.transaction():
        db.executescript(SCHEMA)
    db.group_commit = True
    return db


def outside(path: Path) -> list[int]:
    """The notes another connection (another process) sees."""
    with sqlite3.connect(path) as conn:
        return sorted(n for n, in conn.execute("SELECT n FROM notes"))


async def test_concurrent_blocks_share_one_commit_and_are_durable_once_it_returns(
    tmp_path: Path,
) -> None:
    db = grouped(tmp_path / "g.db")
    seen_before_commit: list[list[int]] = []
    made = db.commits  # the schema's

    async def message(n: int) -> None:
        with db.transaction():
            db.execute("INSERT INTO notes (n) VALUES (?)", (n,))
        seen_before_commit.append(outside(tmp_path / "g.db"))
        await db.committed()

    await asyncio.gather(*(message(n) for n in range(20)))
    assert db.groups == 1 and db.commits == made + 1  # twenty blocks, one COMMIT
    assert all(seen == [] for seen in seen_before_commit)  # nothing durable before it
    assert outside(tmp_path / "g.db") == list(range(20))
    # The next iteration's writes are the next group.
    await message(20)
    assert db.groups == 2 and outside(tmp_path / "g.db") == list(range(21))
    db.close()


async def test_a_failing_block_loses_only_its_own_writes(tmp_path: Path) -> None:
    db = grouped(tmp_path / "g.db")
    with db.transaction():
        db.execute("INSERT INTO notes (n) VALUES (1)")
    with pytest.raises(ZeroDivisionError), db.transaction():
        db.execute("INSERT INTO notes (n) VALUES (2)")
        with db.transaction():
            db.execute("INSERT INTO notes (n) VALUES (3)")
        _ = 1 / 0
    with db.transaction():
        db.execute("INSERT INTO notes (n) VALUES (4)")
    await db.committed()
    assert db.groups == 1 and outside(tmp_path / "g.db") == [1, 4]
    db.close()


async def test_a_lost_group_keeps_nothing_and_tells_its_waiters_and_listeners(
    tmp_path: Path,
) -> None:
    db = grouped(tmp_path / "g.db")
    dropped: list[str] = []
    db.on_rollback(lambda: dropped.append("cache"))

    async def good() -> None:
        with db.transaction():
            db.execute("INSERT INTO notes (n) VALUES (1)")
        await db.committed()

    async def bad() -> None:
        # A deferred foreign key is checked at COMMIT: the whole group's COMMIT fails.
        with db.transaction():
            db.execute("INSERT INTO children (parent) VALUES (99)")
        await db.committed()

    outcomes = await asyncio.gather(good(), bad(), return_exceptions=True)
    assert all(isinstance(outcome, StoreBusy) for outcome in outcomes), outcomes
    assert db.lost_groups == 1 and db.groups == 0 and dropped == ["cache"]
    assert outside(tmp_path / "g.db") == []
    await good()  # the store goes on with the next group
    assert db.groups == 1 and outside(tmp_path / "g.db") == [1]
    db.close()


def test_off_an_event_loop_a_block_commits_at_once(tmp_path: Path) -> None:
    db = grouped(tmp_path / "g.db")
    made = db.commits
    with db.transaction():
        db.execute("INSERT INTO notes (n) VALUES (7)")
    assert db.commits == made + 1 and db.groups == 0 and outside(tmp_path / "g.db") == [7]
    db.close()


# Group commit is SQLite's: on PostgreSQL each block commits on its own connection.
@pytest.mark.parametrize("backend", ["sqlite"])
async def test_a_web_answer_waits_for_its_commit_and_a_lost_one_is_a_503(
    make_config: Callable[..., Config], aiohttp_client: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client: TestClient[Any, Any] = await aiohttp_client(create_app(build_bot(make_config())))
    bot = client.app[BOT_KEY]
    db: Database = bot.store.db
    assert db.group_commit
    visitor = await visit(client)
    statement = db._statement
    failures = ["COMMIT"]

    def commit_fails_once(sql: str, params: Any = ()) -> sqlite3.Cursor:
        # The group's COMMIT is refused (as SQLITE_BUSY on commit would be), once.
        if sql == "COMMIT" and db._group is None and failures:
            failures.pop()
            raise StoreBusy("the store could not commit (test)")
        return statement(sql, params)

    monkeypatch.setattr(db, "_statement", commit_fails_once)
    lost = await visitor.post({"text": "多久发货", "message_id": "m-1"})
    assert lost.status == 503 and failures == []  # never a 200 for a write that was lost
    assert db.lost_groups == 1
    assert bot.store.deliveries.get("web", f"{visitor.user_id}:m-1") is None
    # The widget sends it again: answered, recorded, once.
    answer = await visitor.say("多久发货", message_id="m-1")
    assert "16:00" in answer["replies"][0]["text"]
    await bot.ingress.drain()
    delivery = bot.store.deliveries.get("web", f"{visitor.user_id}:m-1")
    assert delivery is not None and delivery.status == "handled"
