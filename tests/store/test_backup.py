"""Backups an operator can trust: taken while the server is busy, checked, restored to an
identical store; a restore never replaces a store a server is using; the daily rotation."""

from __future__ import annotations

import asyncio
import itertools
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import pytest

from bot.config.backup import BackupSettings
from bot.core.clock import FixedClock
from bot.core.errors import StoreFileError, StoreInUse
from bot.runtime.backups import DailyBackups, last_scheduled
from bot.runtime.metrics import Metrics
from bot.store import open_store
from bot.store.backup import backup_store, dated_backups, inspect_store, restore_store
from bot.store.lock import StoreLock
from tests.helpers.server import Server, environment, start_server, write_config

QUESTIONS = ("多久发货", "how do I return something?", "运费多少", "签到", "积分", "qwzx plomf")


def dump(path: Path) -> list[str]:
    """Every row and schema statement of a store, as SQL text."""
    connection = sqlite3.connect(path)
    try:
        return list(connection.iterdump())
    finally:
        connection.close()


def brandbot(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args, "--config", str(config)],
        capture_output=True, text=True, env=environment(), timeout=120, check=False,
    )


async def load(server: Server, stop: asyncio.Event, sent: list[int]) -> None:
    """One web visitor asking questions as fast as the server answers."""
    async with aiohttp.ClientSession() as session:
        async with session.post(server.url + "/api/chat/session",
                                json={"mode": "token"}) as response:
            token = (await response.json())["token"]
        headers = {"Authorization": f"Bearer {token}"}
        for number in itertools.count():
            if stop.is_set():
                return
            body = {"text": QUESTIONS[number % len(QUESTIONS)],
                    "message_id": f"{id(sent)}-{len(sent)}-{number}"}
            async with session.post(server.url + "/api/chat", json=body,
                                    headers=headers) as response:
                assert response.status == 200
            sent.append(number)


async def test_a_backup_taken_under_load_restores_to_an_identical_checked_store(
    tmp_path: Path,
) -> None:
    live = tmp_path / "live"
    live.mkdir()
    # Six clients hammer the web chat from one address: its flood limits are not tested here.
    config = write_config(live, web={"messages_per_minute": 100_000, "message_burst": 100_000,
                                     "address_messages_per_minute": 100_000})
    server = await start_server(config)
    stop, sent = asyncio.Event(), []
    clients = [asyncio.create_task(load(server, stop, sent)) for _ in range(6)]
    try:
        await asyncio.sleep(0.5)
        backups = []
        for number in range(3):  # while six clients keep the store writing
            target = tmp_path / f"under-load-{number}.db"
            result = await asyncio.to_thread(brandbot, config, "backup", str(target))
            assert result.returncode == 0, result.stderr
            assert "integrity ok" in result.stdout
            backups.append(target)
        stop.set()
        await asyncio.gather(*clients)
        assert len(sent) > 50  # the backups really ran beside a busy server
        refused = await asyncio.to_thread(brandbot, config, "restore", str(backups[0]))
        assert refused.returncode == 1
        assert "in use by a running brandbot serve" in refused.stderr
        assert "Traceback" not in refused.stderr
        # Quiet now: a backup is the live store, row for row.
        quiet = tmp_path / "quiet.db"
        assert (await asyncio.to_thread(brandbot, config, "backup", str(quiet))).returncode == 0
        assert dump(quiet) == dump(live / "brandbot.db")
    finally:
        stop.set()
        assert await server.stop() == 0
    counts = []
    for backup in backups:
        found = inspect_store(backup)
        assert found.integrity == "ok" and found.customers == 6
        # A consistent snapshot: every message handled is in the log; at most one message
        # per client was in hand at that moment.
        connection = sqlite3.connect(backup)
        handled, unlogged, in_hand = connection.execute(
            "SELECT (SELECT count(*) FROM deliveries WHERE status = 'handled'),"
            " (SELECT count(*) FROM deliveries d WHERE status = 'handled' AND NOT EXISTS"
            "  (SELECT 1 FROM conversation_log c WHERE c.message_id = d.delivery_key"
            "   AND c.direction = 'in')),"
            " (SELECT count(*) FROM deliveries WHERE status = 'received')"
        ).fetchone()
        connection.close()
        assert unlogged == 0 and in_hand <= len(clients)
        counts.append(handled)
    assert counts == sorted(counts) and counts[0] < len(sent)
    # Restored (the server stopped), the store is the backup exactly.
    restored = brandbot(config, "restore", str(backups[1]))
    assert restored.returncode == 0, restored.stderr
    assert "integrity ok" in restored.stdout and "kept as" in restored.stdout
    assert dump(live / "brandbot.db") == dump(backups[1])
    kept = list(live.glob("brandbot.db.before-restore-*"))
    assert len(kept) == 1 and dump(kept[0]) == dump(quiet)
    # And it serves: the restored store answers where the backup left off.
    server = await start_server(config)
    try:
        async with aiohttp.ClientSession() as session, session.get(
            server.url + "/readyz"
        ) as response:
            assert response.status == 200
    finally:
        assert await server.stop() == 0


def test_a_restore_is_refused_while_a_server_holds_the_store(tmp_path: Path) -> None:
    store = open_store(tmp_path / "brandbot.db")
    store.close()
    backup_store(tmp_path / "brandbot.db", tmp_path / "copy.db")
    with StoreLock(tmp_path / "brandbot.db"), pytest.raises(StoreInUse, match="running"):
        restore_store(tmp_path / "copy.db", tmp_path / "brandbot.db", datetime.now(UTC))
    with StoreLock(tmp_path / "brandbot.db", exclusive=True), pytest.raises(
        StoreInUse, match="being restored"
    ):
        StoreLock(tmp_path / "brandbot.db").acquire()


def test_what_is_not_a_store_is_refused_with_a_reason(tmp_path: Path) -> None:
    (tmp_path / "notes.db").write_text("not a database", encoding="utf-8")
    sqlite3.connect(tmp_path / "other.db").execute("CREATE TABLE t (x)").connection.close()
    now = datetime.now(UTC)
    target = tmp_path / "brandbot.db"
    for source, reason in (
        (tmp_path / "missing.db", "no such file"),
        (tmp_path / "notes.db", "not a SQLite database"),
        (tmp_path / "other.db", "not a brandbot store"),
    ):
        with pytest.raises(StoreFileError, match=reason):
            restore_store(source, target, now)
    assert not target.exists()
    with pytest.raises(StoreFileError, match="no such folder"):
        backup_store(tmp_path / "other.db", tmp_path / "nowhere" / "copy.db")


def test_a_backup_of_a_newer_version_is_not_restored(tmp_path: Path) -> None:
    store = open_store(tmp_path / "new.db")
    store.db.execute("INSERT INTO schema_migrations VALUES ('9999_future', '')")
    store.close()
    with pytest.raises(StoreFileError, match=r"newer brandbot .*9999_future"):
        restore_store(tmp_path / "new.db", tmp_path / "brandbot.db", datetime.now(UTC))


def test_the_daily_time_is_in_the_brands_time_zone() -> None:
    zone = ZoneInfo("Asia/Shanghai")
    # 03:30 in Shanghai is 19:30 UTC the day before.
    assert last_scheduled(datetime(2026, 12, 4, 20, 0, tzinfo=UTC), "03:30", zone) == datetime(
        2026, 12, 4, 19, 30, tzinfo=UTC
    )
    assert last_scheduled(datetime(2026, 12, 4, 19, 0, tzinfo=UTC), "03:30", zone) == datetime(
        2026, 12, 3, 19, 30, tzinfo=UTC
    )


async def test_daily_backups_are_taken_once_a_day_and_the_oldest_deleted(
    tmp_path: Path,
) -> None:
    store = open_store(tmp_path / "brandbot.db")
    clock = FixedClock(datetime(2026, 12, 1, 20, 0, tzinfo=UTC))
    metrics = Metrics(store, clock)
    service = DailyBackups(BackupSettings(folder="backups", at="03:30", keep=3),
                           tmp_path / "brandbot.db", tmp_path / "backups",
                           ZoneInfo("Asia/Shanghai"), clock, metrics)
    waits: list[Any] = []
    try:
        for _ in range(5):
            waits.append(await service.round())  # due: takes one
            waits.append(await service.round())  # the same day: nothing to do
            clock.advance(days=1)
    finally:
        store.close()
    names = [path.name for path in dated_backups(tmp_path / "backups", tmp_path / "brandbot.db")]
    assert names == ["brandbot-20261203-200000.db", "brandbot-20261204-200000.db",
                     "brandbot-20261205-200000.db"]
    # The next round is asked for at the next 03:30 in Shanghai: 23.5 hours on.
    assert waits[1] == pytest.approx(timedelta(hours=23, minutes=30).total_seconds())
    assert metrics.last_backup._value.get() == clock.now().timestamp() - 86400
    assert all(inspect_store(path).integrity == "ok"
               for path in (tmp_path / "backups").iterdir())
