"""`brandbot webhook set|info|delete telegram` against the fake Bot API (form-encoded calls)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.adapters.telegram.menu import AGAIN_SECONDS, CommandMenu
from bot.app import build_bot
from bot.cli import main
from bot.config import load_config
from tests.conftest import ROOT
from tests.fakes.telegram_api import SECRET, TOKEN, FakeTelegramApi


@pytest.fixture
async def api() -> AsyncIterator[FakeTelegramApi]:
    fake = FakeTelegramApi()
    await fake.start()
    yield fake
    await fake.close()


@pytest.fixture
def config_file(
    tmp_path: Path, api: FakeTelegramApi, monkeypatch: pytest.MonkeyPatch
) -> str:
    monkeypatch.setenv("TG_TOKEN", TOKEN)
    monkeypatch.setenv("TG_SECRET", SECRET)
    path = tmp_path / "config.toml"
    path.write_text(
        f"""
[store]
path = "{tmp_path / 'brandbot.db'}"
[knowledge_base]
path = "{ROOT / 'knowledge_base'}"
[platforms.telegram]
enabled = true
token_env = "TG_TOKEN"
secret_token_env = "TG_SECRET"
api_base_url = "{api.base_url}"
bot_username = "cloudleaf_bot"
""",
        encoding="utf-8",
    )
    return str(path)


async def run(*argv: str) -> int:
    return await asyncio.to_thread(main, list(argv))


async def test_webhook_set_registers_the_secret_and_the_updates_we_handle(
    config_file: str, api: FakeTelegramApi, capsys: pytest.CaptureFixture[str]
) -> None:
    code = await run("webhook", "set", "telegram", "--url", "https://bot.example.com",
                     "--config", config_file)
    assert code == 0
    [params] = api.calls_to("setWebhook")
    assert params["url"] == "https://bot.example.com/webhooks/telegram"
    assert params["secret_token"] == SECRET
    assert params["allowed_updates"] == [
        "message", "edited_message", "callback_query", "my_chat_member"
    ]
    with_body = {call.content_type for call in api.calls if call.method != "getMe"}
    assert with_body == {"application/x-www-form-urlencoded"}  # what python-telegram-bot sends
    assert "webhook set to https://bot.example.com/webhooks/telegram" in capsys.readouterr().out


async def test_webhook_set_sets_the_menus_the_running_bot_sets(
    config_file: str, api: FakeTelegramApi, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await run("webhook", "set", "telegram", "--url", "https://bot.example.com",
                     "--config", config_file) == 0
    from_cli = api.calls_to("setMyCommands")
    api.calls.clear()
    bot = build_bot(load_config(config_file))
    try:
        [menu] = [service for service in bot.services if isinstance(service, CommandMenu)]
        assert await menu.round() == AGAIN_SECONDS
    finally:
        bot.store.close()
    from_bot = api.calls_to("setMyCommands")
    assert [params.get("language_code", "") for params in from_bot] == ["", "zh", "en"]
    assert from_cli == from_bot
    out = capsys.readouterr().out
    for params in from_bot:
        named = "/" + ", /".join(entry["command"] for entry in params["commands"])
        assert f"command menu set ({params.get('language_code') or 'default'}): {named}" in out


async def test_webhook_info_prints_what_telegram_reports(
    config_file: str, api: FakeTelegramApi, capsys: pytest.CaptureFixture[str]
) -> None:
    api.webhook = {"url": "https://bot.example.com/webhooks/telegram",
                   "allowed_updates": ["message"]}
    assert await run("webhook", "info", "telegram", "--config", config_file) == 0
    out = capsys.readouterr().out
    assert "url: https://bot.example.com/webhooks/telegram" in out
    assert "pending_update_count: 3" in out
    assert 'allowed_updates: ["message"]' in out


async def test_webhook_delete_then_polling_is_possible(
    config_file: str, api: FakeTelegramApi
) -> None:
    api.webhook = {"url": "https://bot.example.com/webhooks/telegram"}
    assert await run("webhook", "delete", "telegram", "--config", config_file) == 0
    assert api.webhook == {}
    assert api.calls_to("deleteWebhook") != []


@pytest.mark.parametrize("url", ["http://bot.example.com", "bot.example.com"])
async def test_webhook_set_refuses_a_url_that_is_not_https(
    config_file: str, api: FakeTelegramApi, url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await run("webhook", "set", "telegram", "--url", url, "--config", config_file) == 2
    assert "https://" in capsys.readouterr().err
    assert api.calls_to("setWebhook") == []


async def test_a_refused_token_is_reported(
    config_file: str, api: FakeTelegramApi, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("TG_TOKEN", "1:wrong")
    assert await run("webhook", "info", "telegram", "--config", config_file) == 1
    assert "Telegram refused" in capsys.readouterr().err
