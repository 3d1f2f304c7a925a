"""Telegram end to end through POST /webhooks/telegram, against a fake Bot API on loopback."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.adapters.telegram.menu import AGAIN_SECONDS, RETRY_SECONDS, CommandMenu
from bot.app import Bot, build_bot
from bot.config import Config
from bot.core.language import HANS, HANT
from bot.core.message import Reply
from bot.server.app import create_app
from bot.server.running import BOT_KEY
from tests.fakes.telegram_api import SECRET, TOKEN, FakeTelegramApi, telegram_config
from tests.helpers.paths import FIXTURES as ALL_FIXTURES

FIXTURES = ALL_FIXTURES / "telegram"
LIN = 5012345678
HEADERS = {"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"}


def update(name: str, **changes: Any) -> dict[str, Any]:
    """A fixture update, with top-level changes (a new update_id, say)."""
    data: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    data.update(changes)
    return data


def text_update(update_id: int, text: str, message_id: int = 900) -> dict[str, Any]:
    """A private text message from Lin."""
    data = update("text_private", update_id=update_id)
    data["message"] = {**data["message"], "text": text, "message_id": message_id}
    return data


@pytest.fixture
async def api() -> AsyncIterator[FakeTelegramApi]:
    fake = FakeTelegramApi()
    await fake.start()
    yield fake
    await fake.close()


@pytest.fixture
def config(make_config: Callable[..., Config], api: FakeTelegramApi) -> Config:
    return telegram_config(make_config, api.base_url)


@pytest.fixture
async def client(
    config: Config, aiohttp_client: Callable[..., Any]
) -> TestClient[Any, Any]:
    client: TestClient[Any, Any] = await aiohttp_client(create_app(build_bot(config)))
    return client


def bot_of(client: TestClient[Any, Any]) -> Bot:
    return client.app[BOT_KEY]


async def post(client: TestClient[Any, Any], data: Any, headers: Any = None) -> int:
    body = data if isinstance(data, bytes) else json.dumps(data, ensure_ascii=False).encode()
    response = await client.post(
        "/webhooks/telegram", data=body,
        headers=HEADERS if headers is None else headers,
    )
    return response.status


async def settle(client: TestClient[Any, Any]) -> None:
    """Wait until every webhook's handling finished and the outbox has nothing due."""
    bot = bot_of(client)
    await asyncio.gather(*bot.ingress.running)
    bot.outbox.wake()
    await bot.outbox.wait_idle()


def replies_sent(api: FakeTelegramApi) -> list[Any]:
    """The calls answering customers (the bot also sets its command menu when it starts)."""
    return [call for call in api.calls if call.method != "setMyCommands"]


def faq_answer(bot: Bot, faq_id: str) -> str:
    """The text a customer sees for an FAQ: its answer, then the feedback question."""
    faq = bot.faqs.get(faq_id)
    assert faq is not None
    prompt = bot.pipeline.texts.get("feedback_prompt", "zh-Hans")
    return f"{faq.answer('zh-Hans')}\n\n{prompt}"


async def test_a_question_gets_its_answer(
    client: TestClient[Any, Any], api: FakeTelegramApi
) -> None:
    assert await post(client, update("text_private")) == 200
    [sent] = await api.wait_for("sendMessage")
    assert sent["chat_id"] == LIN
    assert sent["text"] == faq_answer(bot_of(client), "shipping-time")
    assert "parse_mode" not in sent
    titles = [row[0]["text"] for row in sent["reply_markup"]["inline_keyboard"]]
    assert titles and all(titles)
    assert {call.content_type for call in api.calls} == {"application/json"}


async def test_a_button_press_is_answered_then_replied(
    client: TestClient[Any, Any], api: FakeTelegramApi
) -> None:
    assert await post(client, update("callback_query")) == 200
    await api.wait_for("sendMessage")
    methods = [call.method for call in replies_sent(api)]
    assert methods == ["answerCallbackQuery", "sendMessage"]
    assert api.calls_to("answerCallbackQuery") == [{"callback_query_id": "4382bfdwdsb323b2d9"}]
    assert api.calls_to("sendMessage")[0]["text"] == faq_answer(bot_of(client), "shipping-time")


async def test_a_button_press_without_replies_still_stops_the_spinner(
    client: TestClient[Any, Any], api: FakeTelegramApi
) -> None:
    bot = bot_of(client)
    customer = bot.store.customers.resolve("telegram", "5012345678", bot.clock.now())
    bot.store.customers.set_blocked(customer.id, True)  # an operator silenced this customer
    assert await post(client, update("callback_query")) == 200
    await api.wait_for("answerCallbackQuery")
    await settle(client)
    assert [call.method for call in replies_sent(api)] == ["answerCallbackQuery"]


async def test_429_then_success_delivers_exactly_one_message(
    client: TestClient[Any, Any], api: FakeTelegramApi
) -> None:
    api.fail_next("sendMessage", 429, {"ok": False, "error_code": 429,
                                       "description": "Too Many Requests: retry after 0",
                                       "parameters": {"retry_after": 0}})
    assert await post(client, update("text_private")) == 200
    await api.wait_for("sendMessage", 2)
    await settle(client)
    assert len(api.calls_to("sendMessage")) == 2
    assert len(api.delivered) == 1
    [row] = bot_of(client).store.outbox.list()
    assert (row.status, row.attempts) == ("sent", 2)


async def test_a_blocked_customer_is_marked_and_sent_nothing_more(
    client: TestClient[Any, Any], api: FakeTelegramApi
) -> None:
    api.blocked.add(LIN)
    assert await post(client, update("text_private")) == 200
    await api.wait_for("sendMessage")
    await settle(client)
    bot = bot_of(client)
    assert bot.store.customers.is_unreachable("telegram", str(LIN))
    [row] = bot.store.outbox.list()
    assert row.status == "undeliverable"
    customer = bot.store.customers.find("telegram", str(LIN))
    assert customer is not None
    assert bot.outgoing.notify(customer.id, [Reply("新茶到了")], "new-tea") is None
    await settle(client)
    assert len(api.calls_to("sendMessage")) == 1


async def test_rows_queued_behind_a_blocked_send_are_not_sent(
    client: TestClient[Any, Any], api: FakeTelegramApi
) -> None:
    assert await post(client, update("text_private")) == 200
    await api.wait_for("sendMessage")
    await settle(client)
    api.blocked.add(LIN)
    bot = bot_of(client)
    customer = bot.store.customers.find("telegram", str(LIN))
    assert customer is not None
    long_text = "\n".join(f"第 {n} 行：新茶到了" for n in range(600))  # two messages
    assert bot.outgoing.notify(customer.id, [Reply(long_text)], "long") == "telegram"
    await settle(client)
    assert len(api.calls_to("sendMessage")) == 2  # the answer, then the refused first part
    statuses = [row.status for row in bot.store.outbox.list()]
    assert statuses == ["undeliverable", "undeliverable", "sent"]


async def test_the_blocked_event_marks_the_customer_without_a_reply(
    client: TestClient[Any, Any], api: FakeTelegramApi
) -> None:
    assert await post(client, update("text_private")) == 200
    await api.wait_for("sendMessage")
    assert await post(client, update("my_chat_member_blocked")) == 200
    await settle(client)
    bot = bot_of(client)
    assert bot.store.customers.is_unreachable("telegram", str(LIN))
    assert await post(client, update("my_chat_member_unblocked")) == 200
    await settle(client)
    assert not bot.store.customers.is_unreachable("telegram", str(LIN))
    assert len(api.calls_to("sendMessage")) == 1


@pytest.mark.parametrize("headers", [
    {"Content-Type": "application/json"},
    {"X-Telegram-Bot-Api-Secret-Token": "wrong-secret", "Content-Type": "application/json"},
    {"X-Telegram-Bot-Api-Secret-Token": SECRET[:-1], "Content-Type": "application/json"},
])
async def test_a_wrong_or_missing_secret_is_refused_and_nothing_stored(
    client: TestClient[Any, Any], api: FakeTelegramApi, headers: dict[str, str]
) -> None:
    assert await post(client, update("text_private"), headers) == 403
    assert await post(client, b"garbage", headers) == 403
    store = bot_of(client).store
    assert store.deliveries.count() == 0
    assert store.db.scalar("SELECT count(*) FROM dead_letters") == 0
    assert store.customers.count() == 0
    assert replies_sent(api) == []


async def test_a_replayed_update_is_handled_once(
    client: TestClient[Any, Any], api: FakeTelegramApi
) -> None:
    assert await post(client, update("text_private")) == 200
    assert await post(client, update("text_private")) == 200
    statuses = await asyncio.gather(*(post(client, update("callback_query")) for _ in range(5)))
    assert statuses == [200] * 5
    await settle(client)
    assert len(api.calls_to("sendMessage")) == 2
    assert len(api.calls_to("answerCallbackQuery")) == 1
    store = bot_of(client).store
    assert store.deliveries.count() == 2
    assert store.conversations.count("in") == 2


async def test_an_edit_updates_the_stored_text_without_a_second_reply(
    client: TestClient[Any, Any], api: FakeTelegramApi
) -> None:
    assert await post(client, update("text_private")) == 200
    assert await post(client, update("edited_message")) == 200
    await settle(client)
    bot = bot_of(client)
    customer = bot.store.customers.find("telegram", str(LIN))
    assert customer is not None
    inbound = [e.text for e in bot.store.conversations.recent(customer.id) if e.direction == "in"]
    assert inbound == ["多久发货？我在上海"]
    assert len(api.calls_to("sendMessage")) == 1


async def test_a_group_mention_is_answered_in_thread(
    client: TestClient[Any, Any], api: FakeTelegramApi
) -> None:
    assert await post(client, update("group_plain")) == 200
    assert await post(client, update("group_mention_utf16")) == 200
    [sent] = await api.wait_for("sendMessage")
    await settle(client)
    assert sent["chat_id"] == -1001987654321
    assert sent["reply_parameters"] == {"message_id": 2203, "allow_sending_without_reply": True}
    [row] = bot_of(client).store.outbox.list()
    assert row.request.is_group and row.request.user_id == ""
    assert bot_of(client).store.deliveries.count() == 1


async def test_a_question_in_a_forum_topic_is_answered_in_that_topic(
    client: TestClient[Any, Any], api: FakeTelegramApi
) -> None:
    assert await post(client, update("forum_topic_mention")) == 200
    [sent] = await api.wait_for("sendMessage")
    assert sent["chat_id"] == -1001987654321
    assert sent["message_thread_id"] == 2288  # not the group's General topic
    assert sent["reply_parameters"] == {"message_id": 2310, "allow_sending_without_reply": True}
    # A plain group (no topics) gets no thread: the API would refuse one there.
    assert await post(client, update("group_mention_utf16")) == 200
    [_, plain] = await api.wait_for("sendMessage", 2)
    assert "message_thread_id" not in plain


async def test_the_command_menu_is_set_from_the_routes_at_start(
    client: TestClient[Any, Any], api: FakeTelegramApi
) -> None:
    await api.wait_for("setMyCommands", 3)
    commands = {code: [entry["command"] for entry in menu] for code, menu in api.commands.items()}
    expected = ["start", "help", "checkin", "points", "rewards", "invite", "order", "orders"]
    assert commands == {"": expected, "zh": expected, "en": expected}
    descriptions = {entry["command"]: entry["description"] for entry in api.commands["en"]}
    assert descriptions["order"] == "Track an order"
    assert api.commands[""] == api.commands["zh"]  # the brand's default language: zh-Hans
    assert {entry["description"] for entry in api.commands["zh"]} >= {"查订单物流", "我的积分"}


async def test_without_rewards_the_menu_offers_no_reward_commands(
    make_config: Callable[..., Config], api: FakeTelegramApi,
    aiohttp_client: Callable[..., Any],
) -> None:
    config = make_config(
        platforms={"telegram": {"enabled": True, "token_env": "TG_TOKEN",
                                "secret_token_env": "TG_SECRET",
                                "api_base_url": api.base_url, "bot_username": "cloudleaf_bot"}},
        env={"TG_TOKEN": TOKEN, "TG_SECRET": SECRET}, rewards={"enabled": False},
    )
    await aiohttp_client(create_app(build_bot(config)))
    await api.wait_for("setMyCommands", 3)
    assert [entry["command"] for entry in api.commands["en"]] == [
        "start", "help", "order", "orders"
    ]


async def test_a_failed_menu_is_set_again_later(
    config: Config, api: FakeTelegramApi
) -> None:
    api.fail_next("setMyCommands", 502, {"ok": False, "error_code": 502,
                                         "description": "Bad Gateway"})
    bot = build_bot(config)
    [menu] = [service for service in bot.services if isinstance(service, CommandMenu)]
    assert await menu.round() == RETRY_SECONDS and not menu.done
    assert await menu.round() == AGAIN_SECONDS and menu.done
    assert len(api.commands["en"]) == 8
    bot.store.close()


async def test_unknown_and_ignored_updates_get_200_and_no_reply(
    client: TestClient[Any, Any], api: FakeTelegramApi
) -> None:
    for name in ("channel_post", "message_reaction", "my_chat_member_added_to_group"):
        assert await post(client, update(name)) == 200
    assert await post(client, {"update_id": 9, "poll": {"id": "1"}}) == 200
    await settle(client)
    assert replies_sent(api) == []
    assert bot_of(client).store.deliveries.count() == 0


async def test_an_authentic_but_broken_update_is_a_dead_letter(
    client: TestClient[Any, Any], api: FakeTelegramApi
) -> None:
    assert await post(client, {"update_id": 10, "message": "not an object"}) == 400
    store = bot_of(client).store
    assert store.db.scalar("SELECT count(*) FROM dead_letters") == 1
    # The webhook's secret token is not kept with it (nor in a backup of the store).
    headers = json.loads(store.db.scalar("SELECT headers FROM dead_letters"))
    assert "content-type" in headers
    assert not any("secret" in name or "token" in name for name in headers)
    assert store.deliveries.count() == 0


async def test_customer_text_with_markup_characters_is_sent_as_written(
    client: TestClient[Any, Any], api: FakeTelegramApi
) -> None:
    bot = bot_of(client)
    assert await post(client, update("text_private")) == 200
    await settle(client)
    customer = bot.store.customers.find("telegram", str(LIN))
    assert customer is not None
    text = "订单 <CL_2026*1> & [礼盒] _限量_ `code`"
    assert bot.outgoing.notify(customer.id, [Reply(text)], "markup") == "telegram"
    await settle(client)
    assert api.delivered[-1]["text"] == text


# One answer per customer turn (issue 15): albums, service messages, voice notes, stale
# buttons, small talk and the first reply's language.
SERVICE = ("pinned_message", "auto_delete_timer", "chat_background_set", "gift",
           "successful_payment", "users_shared", "chat_shared", "web_app_data")


def text(bot: Bot, key: str, language: str = HANS) -> str:
    return bot.pipeline.texts.get(key, language)


async def test_an_album_with_a_caption_gets_one_answer(
    client: TestClient[Any, Any], api: FakeTelegramApi
) -> None:
    assert await post(client, update("album_first_with_caption")) == 200
    assert await post(client, update("album_second")) == 200
    await settle(client)
    [sent] = api.calls_to("sendMessage")
    damaged = bot_of(client).faqs.get("damaged-item")
    assert damaged is not None and sent["text"].startswith(damaged.answer(HANS))
    # Both parts are in the log; a redelivery of either answers nothing more.
    assert await post(client, update("album_second")) == 200
    assert await post(client, update("album_first_with_caption")) == 200
    await settle(client)
    assert len(api.calls_to("sendMessage")) == 1


async def test_an_album_without_captions_gets_one_reply(
    client: TestClient[Any, Any], api: FakeTelegramApi
) -> None:
    first = update("album_first_with_caption")
    del first["message"]["caption"]
    assert await post(client, first) == 200
    assert await post(client, update("album_second")) == 200
    await settle(client)
    [sent] = api.calls_to("sendMessage")
    assert sent["text"] == text(bot_of(client), "unsupported")


@pytest.mark.parametrize("name", SERVICE)
async def test_service_messages_get_no_reply(
    client: TestClient[Any, Any], api: FakeTelegramApi, name: str
) -> None:
    assert await post(client, update(name)) == 200
    await settle(client)
    assert api.calls_to("sendMessage") == []
    [line] = bot_of(client).store.conversations.recent(
        bot_of(client).store.customers.find("telegram", "5012345678").id  # type: ignore[union-attr]
    )
    assert line.direction == "in" and line.kind == "event"


async def test_a_web_app_question_is_answered(
    client: TestClient[Any, Any], api: FakeTelegramApi
) -> None:
    assert await post(client, update("web_app_question")) == 200
    [sent] = await api.wait_for("sendMessage")
    assert "16:00" in sent["text"]


async def test_a_voice_note_asks_to_type(
    client: TestClient[Any, Any], api: FakeTelegramApi
) -> None:
    assert await post(client, update("voice")) == 200
    [sent] = await api.wait_for("sendMessage")
    assert sent["text"] == text(bot_of(client), "voice_unreadable")
    assert sent["text"] != text(bot_of(client), "empty_message")


async def test_a_stale_button_is_answered_and_says_the_menu_expired(
    client: TestClient[Any, Any], api: FakeTelegramApi
) -> None:
    assert await post(client, update("callback_stale")) == 200
    [sent] = await api.wait_for("sendMessage")
    assert api.calls_to("answerCallbackQuery") == [{"callback_query_id": "4382bfdwdsb323b2d9"}]
    assert sent["text"] == text(bot_of(client), "menu_expired")
    assert bot_of(client).store.kb_review.items() == []


async def test_start_greets_in_the_language_telegram_reports(
    client: TestClient[Any, Any], api: FakeTelegramApi
) -> None:
    assert await post(client, update("start_traditional")) == 200
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
    assert await post(client, data) == 200
    [sent] = await api.wait_for("sendMessage")
    found = bot_of(client).faqs.get(f"small-talk.{entry}")
    assert found is not None
    # A Chinese-speaking customer (language_code zh-hans) typing "ok" is answered in Chinese.
    assert sent["text"] == found.answer(HANS if entry != "thanks" or words == "谢谢" else "en")
