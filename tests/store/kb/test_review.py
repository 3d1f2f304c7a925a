"""The review queue: weak questions counted by normalised text, attached or answered by staff."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.app import Bot
from bot.core.errors import ReviewError
from tests.helpers.chat import Chat

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


async def test_attaching_a_question_makes_it_answered_by_that_faq(bot: Bot, chat: Chat) -> None:
    await chat.say("qwzx plomf vrrk")
    [item] = bot.store.kb_review.items()
    faq = bot.store.kb_review.attach(item.id, "payment-methods", "anna", T0)
    assert "qwzx plomf vrrk" in faq.questions["en"]
    assert bot.store.kb.revisions("payment-methods")[-1].who == "anna"
    assert bot.store.kb_review.items() == []
    resolved = bot.store.kb_review.get(item.id)
    assert resolved is not None and (resolved.status, resolved.faq_id) == (
        "attached", "payment-methods"
    )
    replies = await chat.say("qwzx plomf vrrk")
    assert "feedback:up:payment-methods" in [b.id for b in replies[0].buttons]


async def test_a_traditional_question_is_attached_in_simplified(bot: Bot) -> None:
    item = bot.store.kb_review.log("能用禮品卡付款嗎", T0, reason="unanswered")
    assert item is not None
    faq = bot.store.kb_review.attach(item.id, "payment-methods", "anna", T0)
    assert faq.questions["zh-Hans"][-1] == "能用礼品卡付款吗"


async def test_creating_an_faq_from_a_question(bot: Bot, chat: Chat) -> None:
    item = bot.store.kb_review.log("Do you sell matcha whisks?", T0, reason="unanswered")
    assert item is not None
    faq = bot.store.kb_review.create(item.id, "Yes, bamboo whisks are in the teaware shop.",
                                     "anna", T0)
    assert faq.id == "do-you-sell-matcha-whisks"
    assert bot.store.kb.revisions(faq.id)[0].before is None
    replies = await chat.say("Do you sell matcha whisks?")
    assert replies[0].text.startswith("Yes, bamboo whisks")
    with pytest.raises(ReviewError):
        bot.store.kb_review.create(item.id, "again", "anna", T0, faq_id=faq.id)


async def test_a_question_asked_again_after_dismissal_returns(bot: Bot) -> None:
    item = bot.store.kb_review.log("qwzx plomf", T0, reason="unanswered", near=["coupons"])
    assert item is not None
    bot.store.kb_review.dismiss(item.id, "anna", T0)
    assert bot.store.kb_review.items() == []
    again = bot.store.kb_review.log("qwzx plomf?", T0 + timedelta(days=1), reason="suggested")
    assert again is not None and again.id == item.id
    assert (again.status, again.count, again.near) == ("open", 2, ("coupons",))


async def test_clear_errors_for_impossible_steps(bot: Bot) -> None:
    with pytest.raises(ReviewError, match="no question 99"):
        bot.store.kb_review.attach(99, "payment-methods", "anna", T0)
    item = bot.store.kb_review.log("多久发货？", T0, reason="feedback")
    assert item is not None
    with pytest.raises(ReviewError, match="no FAQ"):
        bot.store.kb_review.attach(item.id, "no-such-faq", "anna", T0)
    with pytest.raises(ReviewError, match="already a phrasing of FAQ shipping-time"):
        bot.store.kb_review.attach(item.id, "payment-methods", "anna", T0)
    with pytest.raises(ReviewError, match="needs an answer"):
        bot.store.kb_review.create(item.id, "  ", "anna", T0)
    assert bot.store.kb_review.log(" !!! ", T0, reason="unanswered") is None
