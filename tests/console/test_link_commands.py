"""Asking for a sign-in link: /console in a private chat, and `brandbot staff link`."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.app import Bot
from bot.cli import main
from tests.console.conftest import token_of
from tests.helpers.chat import Chat
from tests.helpers.paths import ROOT

LINK = re.compile(r"http://127\.0\.0\.1:8080/console/signin\?token=[\w-]+")


async def _spend(client: TestClient[Any, Any], link: str) -> int:
    token = token_of(link)
    opened = await client.get("/console/signin", params={"token": token})
    pre = opened.cookies["brandbot_console_pre"].value
    answer = await client.post("/console/signin", data={"token": token, "pre": pre},
                               allow_redirects=False)
    return answer.status


async def test_console_in_a_private_chat_sends_a_link_that_works(
    app_client: TestClient[Any, Any], console_bot: Bot
) -> None:
    [reply] = await Chat(console_bot, platform="console", user_id="editor").say("/console")
    found = LINK.search(reply.text)
    assert found is not None and "10 minutes" in reply.text
    assert await _spend(app_client, found.group(0)) == 303
    assert (await app_client.get("/console/kb")).status == 200
    assert console_bot.store.staff.recent_audit(5)[-1].action == "console.link"


async def test_no_link_in_a_group_nor_for_customers(console_bot: Bot) -> None:
    staff_room = Chat(console_bot, platform="console", user_id="agent")
    group = await staff_room.send(staff_room.message("/console", is_private=False))
    assert "private chat" in group[0].text and not LINK.search(group[0].text)
    customer = await Chat(console_bot, platform="web", user_id="someone").say("/console")
    assert not any(LINK.search(reply.text) for reply in customer)
    assert console_bot.store.db.scalar("SELECT count(*) FROM console_links") == 0


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        f'[store]\npath = "{tmp_path / "cli.db"}"\n'
        f'[knowledge_base]\npath = "{ROOT / "knowledge_base"}"\n'
        '[staff.members]\n"console:admin" = "admin"\n',
        encoding="utf-8",
    )
    return path


def test_the_cli_prints_a_link_for_members_only(
    config_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["staff", "link", "console:admin", "--config", str(config_file)]) == 0
    printed = capsys.readouterr()
    assert LINK.fullmatch(printed.out.strip())
    assert "works once" in printed.err
    assert main(["staff", "link", "console:admin", "--config", str(config_file),
                 "--port", "9000"]) == 0
    assert capsys.readouterr().out.startswith("http://127.0.0.1:9000/console/signin?token=")
    assert main(["staff", "link", "telegram:1", "--config", str(config_file)]) == 2
    assert "not in [staff.members]" in capsys.readouterr().err
