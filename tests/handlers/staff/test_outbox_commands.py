"""Operators see the sends given up on and drive them again, in chat and on the command line."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from bot.app import Bot
from bot.cli import main
from bot.config import Config
from bot.core.adapter import OutboundRequest
from bot.core.clock import Clock
from bot.store import Store, open_store
from tests.helpers.chat import Chat
from tests.helpers.staff import staff_config, started, stop


@pytest.fixture
def config(make_config: Callable[..., Config]) -> Config:
    return staff_config(make_config)


@pytest.fixture
async def bot(config: Config) -> AsyncIterator[Bot]:
    instance = await started(config)
    yield instance
    await stop(instance)


def give_up_on(store: Store, text: str) -> int:
    """A row to the shell the outbox gave up on (as after a long outage)."""
    now = Clock().now()
    row_id = store.outbox.enqueue(
        OutboundRequest("console", "c1", "/log", {"text": text}, user_id="c1"), now
    )
    assert row_id is not None
    store.outbox.mark_final(row_id, "failed", "gave up after 40 attempts over 24.0 h", now)
    return row_id


async def status_of(bot: Bot, row_id: int, wanted: str) -> str:
    for _ in range(200):
        row = bot.store.outbox.get(row_id)
        assert row is not None
        if row.status == wanted:
            return row.status
        await asyncio.sleep(0.01)
    return row.status


async def test_an_admin_retries_one_failed_send_or_all(bot: Bot) -> None:
    first, second = give_up_on(bot.store, "a"), give_up_on(bot.store, "b")
    admin = Chat(bot, platform="console", user_id="admin")
    listed = (await admin.say("/outbox"))[0].text
    assert f"#{first} failed" in listed and "gave up after 40 attempts" in listed
    answer = (await admin.say(f"/outbox retry {first}"))[0].text
    assert answer.startswith("1 failed sends will be tried again")
    bot.outbox.wake()
    assert await status_of(bot, first, "sent") == "sent"
    assert (await admin.say(f"/outbox retry {first}"))[0].text.startswith(
        f"#{first} is not a failed send"
    )
    assert (await admin.say("/outbox retry all"))[0].text.startswith("1 failed sends")
    bot.outbox.wake()
    assert await status_of(bot, second, "sent") == "sent"
    assert [entry.action for entry in bot.store.staff.recent_audit()] == [
        "outbox.retry", "outbox.retry",
    ]


async def test_retry_needs_a_row_or_all(bot: Bot) -> None:
    admin = Chat(bot, platform="console", user_id="admin")
    assert (await admin.say("/outbox retry"))[0].text.startswith("Usage: /outbox")
    assert (await admin.say("/outbox retry soon"))[0].text.startswith("Usage: /outbox")


def test_the_command_line_lists_and_retries(
    config: Config, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config_file = tmp_path / "config.toml"
    config_file.write_text(
        f'[store]\npath = "{config.resolve(config.store.path)}"\n'
        f'[knowledge_base]\npath = "{config.resolve(config.knowledge_base.path)}"\n',
        encoding="utf-8",
    )
    store = open_store(config.resolve(config.store.path))
    row_id = give_up_on(store, "t")
    store.close()
    assert main(["outbox", "list", "--config", str(config_file)]) == 0
    assert f"#{row_id} failed console:c1" in capsys.readouterr().out
    assert main(["outbox", "retry", str(row_id), "--config", str(config_file)]) == 0
    assert "1 failed sends will be tried again" in capsys.readouterr().out
    assert main(["outbox", "retry", str(row_id), "--config", str(config_file)]) == 1
    assert main(["outbox", "retry", "--all", "--config", str(config_file)]) == 0
    assert "0 failed sends" in capsys.readouterr().out
