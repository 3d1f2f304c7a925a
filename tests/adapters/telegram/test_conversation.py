"""One answer per customer turn on Telegram, through POST /webhooks/telegram and a fake Bot API:
albums, service messages, voice notes, stale buttons, small talk, the first reply's language."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.app import Bot, build_bot
from bot.config import Config
from bot.core.language import HANS, HANT
from bot.server.app import create_app
from bot.server.running import BOT_KEY
from tests.fakes.telegram_api import SECRET, FakeTelegramApi, telegram_config
from tests.helpers.paths import FIXTURES as ALL_FIXTURES

FIXTURES = ALL_FIXTURES / "telegram"
HEADERS = {"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"}
SERVICE = ("pinned_message", "auto_delete_timer", "chat_background_set", "gift",
           "successful_payment", "users_shared", "chat_shared", "web_app_data")


def update(name: str, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    data.update(changes)
    return data


@pytest.fixture
async def api() -> AsyncIterator[FakeTelegramApi]:
    fake = FakeTelegramApi()
    await fake.start()
    yield fake
    await fake.close()


@pytest.fixture
async def client(
    make_config: Callable[..., Config], api: FakeTelegramApi, aiohttp_client: Callable[..., Any]
) -> TestClient[Any, Any]:
    config: Config = telegram_config(make_config, api.base_url)
    made: TestClient[Any, Any] = await aiohttp_client(create_app(build_bot(config)))
    return made


def bot_of(client: TestClient[Any, Any]) -> Bot:
    return client.app[BOT_KEY]


async def post(client: TestClient[Any, Any], data: dict[str, Any]) -> None:
    response = await client.post("/webhooks/telegram", data=json.dumps(data), headers=HEADERS)
    assert response.status == 200


async def settle(client: TestClient[Any, Any]) -> None:
    """Every webhook handled and the outbox idle: nothing more will be sent."""
    bot = bot_of(client)
    await asyncio.gather(*bot.ingress.running)
    bot.outbox.wake()
    await bot.outbox.wait_idle()


def text(bot: Bot, key: str, language: str = HANS) -> str:
    return bot.pipeline.texts.get(key, language)


async def test_an_album_with_a_caption_gets_one_answer(
    client: TestClient[Any, Any], api: FakeTelegramApi
) -> None:
    await post(client, update("album_first_with_caption"))
    await post(client, update("album_second"))
    await settle(client)
    [sent] = api.calls_to("sendMessage")
    damaged = bot_of(client).faqs.get("damaged-item")
    assert damaged is not None and sent["text"].startswith(damaged.answer(HANS))
    # Both parts are in the log; a redelivery of either answers nothing more.
    await post(client, update("album_second"))
    await post(client, update("album_first_with_caption"))
    await settle(client)
    assert len(api.calls_to("sendMessage")) == 1


async def test_an_album_without_captions_gets_one_reply(
    client: TestClient[Any, Any], api: FakeTelegramApi
) -> None:
    first = update("album_first_with_caption")
    del first["message"]["caption"]
    await post(client, first)
    await post(client, update("album_second"))
    await settle(client)
    [sent] = api.calls_to("sendMessage")
    assert sent["text"] == text(bot_of(client), "unsupported")


@pytest.mark.parametrize("name", SERVICE)
async def test_service_messages_get_no_reply(
    client: TestClient[Any, Any], api: FakeTelegramApi, name: str
) -> None:
    await post(client, update(name))
    await settle(client)
    assert api.calls_to("sendMessage") == []
    [line] = bot_of(client).store.conversations.recent(
        bot_of(client).store.customers.find("telegram", "5012345678").id  # type: ignore[union-attr]
    )
    assert line.direction == "in" and line.kind == "event"


async def test_a_web_app_question_is_answered(
    client: TestClient[Any, Any], api: FakeTelegramApi
) -> None:
    await post(client, update("web_app_question"))
    [sent] = await api.wait_for("sendMessage")
    assert "16:00" in sent["text"]


async def test_a_voice_note_asks_to_type(
    client: TestClient[Any, Any], api: FakeTelegramApi
) -> None:
    await post(client, update("voice"))
    [sent] = await api.wait_for("sendMessage")
    assert sent["text"] == text(bot_of(client), "voice_unreadable")
    assert sent["text"] != text(bot_of(client), "empty_message")


async def test_a_stale_button_is_answered_and_says_the_menu_expired(
    client: TestClient[Any, Any], api: FakeTelegramApi
) -> None:
    await post(client, update("callback_stale"))
    [sent] = await api.wait_for("sendMessage")
    assert api.calls_to("answerCallbackQuery") == [{"callback_query_id": "4382bfdwdsb323b2d9"}]
    assert sent["text"] == text(bot_of(client), "menu_expired")
    assert bot_of(client).store.kb_review.items() == []


async def test_start_greets_in_the_language_telegram_reports(
    client: TestClient[Any, Any], api: FakeTelegramApi
) -> None:
    await post(client, update("start_traditional"))
    [sent] = await api.wait_for("sendMessage")
    bot = bot_of(client)
    welcome = text(bot, "welcome", HANT).format(brand=bot.config.bot.brand)
    assert sent["text"].startswith(welcome)  # then the welcome gift
    customer = bot.store.customers.find("telegram", "7034567890")
    assert customer is not None and customer.language == HANT


@pytest.mark.parametrize(("words", "entry"), [("谢谢", "thanks"), ("ok", "acknowledge"),
                                              ("在吗", "greeting"), ("thanks!", "thanks")])
async def test_small_talk_on_telegram(
    client: TestClient[Any, Any], api: FakeTelegramApi, words: str, entry: str
) -> None:
    data = update("text_private")
    data["message"] = {**data["message"], "text": words}
    await post(client, data)
    [sent] = await api.wait_for("sendMessage")
    found = bot_of(client).faqs.get(f"small-talk.{entry}")
    assert found is not None
    # A Chinese-speaking customer (language_code zh-hans) typing "ok" is answered in Chinese.
    assert sent["text"] == found.answer(HANS if entry != "thanks" or words == "谢谢" else "en")
