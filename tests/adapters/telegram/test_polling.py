"""Telegram long polling inside the bot: answers, button presses, and restarts that resume."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from bot.adapters.telegram.polling import OFFSET_KEY
from bot.app import Bot, build_bot
from bot.config import Config
from bot.core.message import Reply
from tests.adapters.telegram.test_adapter import faq_answer, text_update, update
from tests.fakes.telegram_api import FakeTelegramApi, telegram_config

OFFSET = OFFSET_KEY.format(bot_id="7123456789")


@pytest.fixture
async def api() -> AsyncIterator[FakeTelegramApi]:
    fake = FakeTelegramApi()
    await fake.start()
    yield fake
    await fake.close()


@pytest.fixture
def config(make_config: Callable[..., Config], api: FakeTelegramApi) -> Config:
    return telegram_config(make_config, api.base_url, mode="polling", poll_timeout_seconds=5,
                           secret_token_env="")


async def started(config: Config) -> Bot:
    bot = build_bot(config)
    await bot.start()
    return bot


async def offsets_polled(api: FakeTelegramApi) -> list[int]:
    return [int(params["offset"]) for params in api.calls_to("getUpdates")]


async def test_polling_answers_a_question_and_a_button(
    config: Config, api: FakeTelegramApi
) -> None:
    bot = await started(config)
    try:
        await api.push(update("text_private"))
        [sent] = await api.wait_for("sendMessage")
        assert sent["text"] == faq_answer(bot, "shipping-time")
        await api.push(update("callback_query"))
        await api.wait_for("sendMessage", 2)
        assert api.calls_to("answerCallbackQuery") == [{"callback_query_id": "4382bfdwdsb323b2d9"}]
        first = api.calls_to("getUpdates")[0]
        assert first["allowed_updates"] == [
            "message", "edited_message", "callback_query", "my_chat_member"
        ]
        assert bot.store.kv.get(OFFSET) == "830001019"
    finally:
        await bot.stop()


async def test_polling_429_then_success_delivers_once(
    config: Config, api: FakeTelegramApi
) -> None:
    api.fail_next("sendMessage", 429, {"ok": False, "error_code": 429,
                                       "description": "Too Many Requests: retry after 0",
                                       "parameters": {"retry_after": 0}})
    bot = await started(config)
    try:
        await api.push(update("text_private"))
        await api.wait_for("sendMessage", 2)
        await bot.outbox.wait_idle()
        assert len(api.delivered) == 1
    finally:
        await bot.stop()


async def test_a_restart_resumes_at_the_stored_offset_without_repeats(
    config: Config, api: FakeTelegramApi
) -> None:
    bot = await started(config)
    await api.push(text_update(100, "多久发货？", 901))
    await api.wait_for("sendMessage")
    await bot.stop()
    assert len(await offsets_polled(api)) >= 1

    polls_before = len(api.calls_to("getUpdates"))
    bot = await started(config)
    try:
        await api.push(text_update(101, "运费多少？", 902))
        await api.wait_for("sendMessage", 2)
        resumed_at = (await offsets_polled(api))[polls_before]
        assert resumed_at == 101
        await bot.outbox.wait_idle()
        assert len(api.calls_to("sendMessage")) == 2
    finally:
        await bot.stop()


async def test_updates_recorded_before_a_crash_are_not_handled_twice(
    config: Config, api: FakeTelegramApi
) -> None:
    bot = await started(config)
    await api.push(text_update(200, "多久发货？", 903))
    await api.wait_for("sendMessage")
    await bot.stop()
    # As if the process died after recording update 200 but before storing the offset.
    bot = build_bot(config)
    bot.store.kv.set(OFFSET, "200", bot.clock.now())
    await bot.start()
    try:
        await api.push(text_update(201, "运费多少？", 904))
        await api.wait_for("sendMessage", 2)
        await bot.outbox.wait_idle()
        assert [call["text"] for call in api.calls_to("sendMessage")].count(
            faq_answer(bot, "shipping-time")
        ) == 1
        assert bot.store.kv.get(OFFSET) == "202"
        assert bot.store.deliveries.count() == 2
    finally:
        await bot.stop()


async def test_the_webhook_is_closed_in_polling_mode(
    config: Config, api: FakeTelegramApi, aiohttp_client: Callable[..., Any]
) -> None:
    from bot.server.app import create_app

    client = await aiohttp_client(create_app(build_bot(config)))
    response = await client.post(
        "/webhooks/telegram", json=update("text_private"),
        headers={"X-Telegram-Bot-Api-Secret-Token": ""},
    )
    assert response.status == 403


async def test_polling_survives_a_429_and_a_broken_update(
    config: Config, api: FakeTelegramApi
) -> None:
    api.fail_next("getUpdates", 429, {"ok": False, "error_code": 429,
                                      "description": "Too Many Requests: retry after 0",
                                      "parameters": {"retry_after": 0}})
    bot = await started(config)
    try:
        await api.push({"update_id": 300, "message": "not an object"})
        await api.push(text_update(301, "多久发货？", 905))
        await api.wait_for("sendMessage")
        assert bot.store.db.scalar("SELECT count(*) FROM dead_letters") == 1
        assert bot.store.kv.get(OFFSET) == "302"
        assert [int(params["offset"]) for params in api.calls_to("getUpdates")][:2] == [0, 0]
    finally:
        await bot.stop()


async def test_polling_a_blocked_customer_gets_nothing_more(
    config: Config, api: FakeTelegramApi
) -> None:
    api.blocked.add(5012345678)
    bot = await started(config)
    try:
        await api.push(update("text_private"))
        await api.wait_for("sendMessage")
        await bot.outbox.wait_idle()
        assert bot.store.customers.is_unreachable("telegram", "5012345678")
        customer = bot.store.customers.find("telegram", "5012345678")
        assert customer is not None
        assert bot.outgoing.notify(customer.id, [Reply("新茶到了")], "new-tea") is None
        assert [row.status for row in bot.store.outbox.list()] == ["undeliverable"]
        assert len(api.calls_to("sendMessage")) == 1
    finally:
        await bot.stop()


async def test_adapter_loops_run_with_the_bot_and_not_in_the_shell(config: Config) -> None:
    bot = build_bot(config)
    await bot.start(loops=False)
    assert bot.runners == []
    await bot.stop()
    bot = await started(config)
    [runner] = bot.runners
    assert runner.get_name() == "telegram" and not runner.done()
    await bot.stop()
    assert runner.cancelled() and bot.runners == []
