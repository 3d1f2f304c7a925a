"""FAQ conversations: answers, did-you-mean, fallback logged for review, live KB edits."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import replace

import pytest

from bot.app import Bot, build_bot
from bot.config import Config
from bot.core.language import to_traditional
from bot.core.message import Reply
from tests.helpers.chat import Chat


def button_ids(reply: Reply) -> list[str]:
    return [button.id for button in reply.buttons]


@pytest.fixture
async def unsure_bot(make_config: Callable[..., Config]) -> AsyncIterator[Bot]:
    """A bot that never answers a typed question outright: it always asks "did you mean"."""
    # Scores are at most 1: answering would need 1.0 and a lead of 1.0 over the runner-up.
    config = make_config(knowledge_base={"answer_threshold": 1.0, "answer_margin": 1.0,
                                         "suggest_threshold": 0.01})
    instance = build_bot(config)
    await instance.start()
    yield instance
    await instance.stop()


async def test_a_known_question_is_answered_with_feedback_buttons(chat: Chat) -> None:
    replies = await chat.say("How long until my order ships?")
    assert len(replies) == 1
    assert "16:00" in replies[0].text and "Was this helpful?" in replies[0].text
    ids = button_ids(replies[0])
    assert ids[-2:] == ["feedback:up:shipping-time", "feedback:down:shipping-time"]
    assert [b.title for b in replies[0].buttons[-2:]] == ["👍 Yes", "👎 No"]


async def test_did_you_mean_offers_buttons_and_the_press_answers(unsure_bot: Bot) -> None:
    chat = Chat(unsure_bot)
    offered = await chat.say("how long until my order shipss")
    assert offered[0].text == "Did you mean one of these?"
    assert "faq:shipping-time" in button_ids(offered[0])
    answered = await chat.press("faq:shipping-time")
    assert "16:00" in answered[0].text
    item = unsure_bot.store.kb_review.items()[0]
    assert (item.reason, item.examples) == ("suggested", ("how long until my order shipss",))
    assert "shipping-time" in item.near


async def test_a_fallback_logs_the_question_for_review(bot: Bot, chat: Chat) -> None:
    replies = await chat.say("qwzx plomf vrrk")
    assert "human" in replies[0].text
    await chat.say("QWZX  plomf vrrk!")
    [item] = bot.store.kb_review.items()
    assert (item.reason, item.count, item.key) == ("unanswered", 2, "qwzx plomf vrrk")
    assert item.examples == ("QWZX  plomf vrrk!", "qwzx plomf vrrk")
    assert item.last_asked_at >= item.first_asked_at


async def test_a_traditional_question_is_answered_from_the_simplified_faq(
    bot: Bot, chat: Chat
) -> None:
    faq = bot.faqs.get("return-policy")
    assert faq is not None
    question = to_traditional(faq.questions["zh-Hans"][0])
    assert question != faq.questions["zh-Hans"][0]
    replies = await chat.say(question)
    assert replies[0].text.startswith(to_traditional(faq.answers["zh-Hans"]))
    assert "feedback:up:return-policy" in button_ids(replies[0])


async def test_an_edit_in_the_store_changes_the_next_answer(bot: Bot, chat: Chat) -> None:
    before = await chat.say("How long until my order ships?")
    faq = bot.store.kb.get("shipping-time")
    assert faq is not None and "16:00" in before[0].text
    changed = replace(faq, answers={**faq.answers, "en": "From today we ship within the hour."})
    bot.store.kb.save(changed, bot.clock.now(), "anna")
    after = await chat.say("How long until my order ships?")
    assert after[0].text.startswith("From today we ship within the hour.")


async def test_a_disabled_faq_is_no_longer_answered(bot: Bot, chat: Chat) -> None:
    bot.store.kb.disable("shipping-time", "anna", bot.clock.now())
    replies = await chat.say("How long until my order ships?")
    assert "feedback:up:shipping-time" not in button_ids(replies[0])


async def test_a_negative_example_stops_a_wrong_match(bot: Bot, chat: Chat) -> None:
    question = "多久发货呢"
    assert bot.faqs.search(question)[0].faq_id == "shipping-time"
    faq = bot.store.kb.get("shipping-time")
    assert faq is not None
    with_negative = replace(faq, negatives=(*faq.negatives, "多久發貨呢！"))
    bot.store.kb.save(with_negative, bot.clock.now(), "anna")
    assert "shipping-time" not in [c.faq_id for c in bot.faqs.search(question)]
    replies = await chat.say(question)
    assert "feedback:up:shipping-time" not in button_ids(replies[0])
    assert "faq:shipping-time" not in button_ids(replies[0])
