"""👍/👎 under FAQ answers: recorded once per customer and FAQ; 👎 queues the question."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from bot.adapters.text import numbered
from bot.app import Bot
from bot.config import Config
from bot.store import open_store
from tests.helpers.chat import Chat
from tests.helpers.web import visit


async def test_thumbs_up_is_recorded_and_thanked(bot: Bot, chat: Chat) -> None:
    answer = await chat.say("How long until my order ships?")
    up = next(b for b in answer[0].buttons if b.id.startswith("feedback:up:"))
    thanks = await chat.press(up.id, up.title)
    assert thanks[0].text.startswith("Thanks for your feedback")
    await chat.press(up.id, up.title)
    tally = bot.store.feedback.tally("shipping-time")
    assert (tally.up, tally.down) == (1, 0), "pressing twice is still one customer's vote"
    assert bot.store.kb_review.items() == []


async def test_thumbs_down_queues_the_question_that_was_answered(bot: Bot, chat: Chat) -> None:
    await chat.say("How long until my order ships?")
    await chat.press("feedback:up:shipping-time")
    await chat.press("feedback:down:shipping-time")
    tally = bot.store.feedback.tally("shipping-time")
    assert (tally.up, tally.down) == (0, 1), "a changed mind replaces the vote"
    [item] = bot.store.kb_review.items()
    assert item.reason == "feedback" and item.near == ("shipping-time",)
    assert item.examples == ("How long until my order ships?",)
    await chat.press("feedback:down:shipping-time")
    assert bot.store.kb_review.items()[0].count == 1


async def test_a_numbered_reply_picks_a_feedback_button(bot: Bot, chat: Chat) -> None:
    answer = await chat.say("多久发货？")
    position = next(
        i for i, b in enumerate(answer[0].buttons, 1) if b.id == "feedback:down:shipping-time"
    )
    thanks = await chat.say(str(position))
    assert thanks[0].text.startswith("谢谢你的反馈")
    assert bot.store.feedback.tally("shipping-time").down == 1
    assert bot.store.kb_review.items()[0].examples == ("多久发货？",)


async def test_feedback_for_an_unknown_faq_is_thanked_but_not_counted(
    bot: Bot, chat: Chat
) -> None:
    thanks = await chat.press("feedback:down:no-such-faq")
    assert thanks[0].text.startswith("Thanks") or thanks[0].text.startswith("谢谢")
    assert bot.store.feedback.tally("no-such-faq").down == 0
    assert bot.store.kb_review.items() == []


async def test_feedback_through_the_web_chat_api(client: Any, config: Config) -> None:
    visitor = await visit(client)
    asked = await visitor.say("运费多少？", "a1")
    answer = asked["replies"][0]
    down = next(b for b in answer["buttons"] if b["id"].startswith("feedback:down:"))
    pressed = await visitor.say("", "a2", button=down["id"])
    assert pressed["replies"][0]["text"].startswith("谢谢你的反馈")
    store = open_store(config.resolve(config.store.path))
    faq_id = down["id"].removeprefix("feedback:down:")
    assert store.feedback.tally(faq_id).down == 1
    assert store.kb_review.items()[0].examples == ("运费多少？",)
    store.close()


async def test_with_feedback_buttons_off_answers_carry_none(
    start_bot: Callable[..., Awaitable[Bot]],
) -> None:
    bot = await start_bot(knowledge_base={"feedback_buttons": False})
    chat = Chat(bot)
    faq = bot.store.kb.get("payment-methods")
    assert faq is not None and not faq.buttons
    [answer] = await chat.say("What payment methods do you accept?")
    assert answer.text == faq.answers["en"] and answer.buttons == ()
    [answer] = await chat.say("多久发货？")
    assert "这个回答对你有帮助吗" not in answer.text
    assert not [b for b in answer.buttons if b.id.startswith("feedback:")]
    assert answer.buttons, "the FAQ's own buttons stay"


@pytest.mark.parametrize("switch", [True, False])
async def test_numbered_menus_give_the_faqs_own_buttons_the_same_numbers_either_way(
    start_bot: Callable[..., Awaitable[Bot]], switch: bool
) -> None:
    bot = await start_bot(knowledge_base={"feedback_buttons": switch})
    chat = Chat(bot, platform="console")
    [answer] = await chat.say("Can I change my order?")
    shown = numbered(answer).splitlines()
    assert "2. Change address" in shown
    assert ("3. 👍 Yes" in shown) is switch and ("4. 👎 No" in shown) is switch
    [address] = await chat.say("2")
    assert address.text.startswith("Before dispatch, send your order number")
    # An answer without buttons retires the menu: "1" then presses nothing older.
    [plain] = await chat.say("What payment methods do you accept?")
    assert bool(plain.buttons) is switch
    after = await bot.pipeline.receive(chat.message("1"))
    # Without a menu a bare "1" is a short message: the bot asks what is meant.
    assert after.route == ("feedback" if switch else "faq")
    assert bot.store.feedback.tally("payment-methods").up == int(switch)
