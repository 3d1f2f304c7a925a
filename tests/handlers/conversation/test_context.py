"""Short replies in context through the web chat: yes/no/ok/"the second one" answer what the
bot just asked, and only for a while; short messages are never matched blindly."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.app import Bot
from bot.core.clock import FixedClock
from bot.core.language import ENGLISH, HANS, HANT
from handlers.conversation.context import _ordinal
from tests.helpers.web_chat import WebChat, WebReply

# Questions between two FAQs: the bot asks "did you mean".
UNSURE = {HANS: "积分兑换和过期", HANT: "積分兌換和過期", ENGLISH: "shipping and delivery"}
YES = {HANS: "是的", HANT: "對的", ENGLISH: "yes"}
NO = {HANS: "不是", HANT: "不對", ENGLISH: "no"}
LANGUAGES = (HANS, HANT, ENGLISH)


def answer_text(bot: Bot, faq_id: str, language: str) -> str:
    faq = bot.faqs.get(faq_id)
    assert faq is not None
    return faq.answer(language)


async def offered(chat: WebChat, text: str) -> list[str]:
    """Ask an unsure question; the FAQ ids the bot suggests."""
    [reply] = await chat.say(text)
    suggested = [b.removeprefix("faq:") for b in reply.button_ids if b.startswith("faq:")]
    assert len(suggested) >= 2, reply
    return suggested


@pytest.mark.parametrize("language", [HANS, HANT, ENGLISH])
async def test_yes_after_did_you_mean_answers_the_top_suggestion(
    bot: Bot, chat: WebChat, language: str
) -> None:
    suggested = await offered(chat, UNSURE[language])
    [reply] = await chat.say(YES[language])
    assert reply.text.startswith(answer_text(bot, suggested[0], language))


@pytest.mark.parametrize(
    ("text", "index", "language"),
    [("第二个", 1, HANS), ("第2個", 1, HANT), ("the second one", 1, ENGLISH), ("2", 1, ENGLISH),
     ("last", -1, ENGLISH)],
)
async def test_a_number_after_did_you_mean_picks_that_suggestion(
    bot: Bot, chat: WebChat, text: str, index: int, language: str
) -> None:
    suggested = await offered(chat, UNSURE[language])
    [reply] = await chat.say(text)
    assert reply.text.startswith(answer_text(bot, suggested[index], language))


@pytest.mark.parametrize("language", [HANS, HANT, ENGLISH])
async def test_no_after_did_you_mean_asks_again_with_a_person(
    bot: Bot, chat: WebChat, language: str
) -> None:
    await offered(chat, UNSURE[language])
    [reply] = await chat.say(NO[language])
    assert reply.text == bot.pipeline.texts.get("suggestion_declined", language)
    assert reply.button_ids == ["handoff"]


async def answered(bot: Bot, chat: WebChat) -> WebReply:
    [reply] = await chat.say("How long until my order ships?")
    assert "feedback:up:shipping-time" in reply.button_ids
    return reply


@pytest.mark.parametrize(("text", "vote"), [("yes", "up"), ("是的", "up"), ("no", "down"),
                                            ("沒有", "down")])
async def test_yes_or_no_after_was_this_helpful_is_a_vote(
    bot: Bot, chat: WebChat, text: str, vote: str
) -> None:
    await answered(bot, chat)
    [reply] = await chat.say(text)
    assert reply.text in {bot.pipeline.texts.get("feedback_thanks", lang) for lang in LANGUAGES}
    tally = bot.store.feedback.tally("shipping-time")
    assert (tally.up, tally.down) == ((1, 0) if vote == "up" else (0, 1))
    if vote == "down":
        # The question the answer was for is queued, not the "no".
        [item] = bot.store.kb_review.items()
        assert item.examples == ("How long until my order ships?",)


@pytest.mark.parametrize(("text", "entry"), [("ok", "acknowledge"), ("谢谢", "thanks"),
                                             ("好的", "acknowledge"), ("thanks!", "thanks")])
async def test_ok_or_thanks_after_an_answer_closes_the_topic(
    bot: Bot, chat: WebChat, text: str, entry: str
) -> None:
    await answered(bot, chat)
    [reply] = await chat.say(text)
    closing = bot.faqs.get(f"small-talk.{entry}")
    assert closing is not None and reply.text in {closing.answer(lang) for lang in LANGUAGES}
    assert reply.button_ids == []
    # The buttons of the answer are retired: a "1" now presses nothing.
    tally = bot.store.feedback.tally("shipping-time")
    await chat.say("1")
    assert bot.store.feedback.tally("shipping-time") == tally


async def test_context_expires(bot: Bot, chat: WebChat, clock: FixedClock) -> None:
    await answered(bot, chat)
    clock.moment += timedelta(days=1)
    [reply] = await chat.say("是的")
    entry = bot.faqs.get("small-talk.affirm")
    assert entry is not None and reply.text == entry.answer(HANS)
    assert bot.store.feedback.tally("shipping-time").up == 0
    suggested = await offered(chat, UNSURE[ENGLISH])
    clock.moment += timedelta(minutes=bot.config.knowledge_base.context_minutes + 1)
    [reply] = await chat.say("yes")
    assert not reply.text.startswith(answer_text(bot, suggested[0], ENGLISH))


@pytest.mark.parametrize(("no", "language"), [("不用了", HANS), ("算了", HANS),
                                              ("no thanks", ENGLISH)])
async def test_no_inside_the_order_lookup_leaves_it(
    bot: Bot, chat: WebChat, no: str, language: str
) -> None:
    await chat.say("我的快递到哪了" if language == HANS else "where is my parcel")
    [reply] = await chat.say(no)
    assert reply.text == bot.pipeline.texts.get("order_cancelled", language)
    assert bot.store.states.get(bot.store.customers.find("web", chat.user_id).id,  # type: ignore[union-attr]
                                bot.clock.now()) is None


async def test_yes_inside_the_order_lookup_asks_for_the_number_again(
    bot: Bot, chat: WebChat
) -> None:
    [asked] = await chat.say("where is my parcel")
    [again] = await chat.say("yes")
    assert again.text == asked.text


# Short messages: answered outright only when nearly exactly a phrasing or keyword.
@pytest.mark.parametrize(("text", "faq_id"), [("运费", "shipping-fee"), ("退货", "return-policy"),
                                              ("postage", "shipping-fee"), ("退款", "refund-time"),
                                              ("refund", "refund-time"), ("發票", "invoice")])
async def test_a_short_message_that_is_a_keyword_or_phrasing_is_answered(
    bot: Bot, chat: WebChat, text: str, faq_id: str
) -> None:
    [reply] = await chat.say(text)
    language = HANT if text == "發票" else (ENGLISH if text.isascii() else HANS)
    assert reply.text.startswith(answer_text(bot, faq_id, language))


@pytest.mark.parametrize("text", ["茶具", "tea", "多少钱", "why", "然后呢", "what?", "really",
                                  "怎么了", "红茶呢", "how come"])
async def test_a_short_message_that_is_not_is_asked_about(
    bot: Bot, chat: WebChat, text: str
) -> None:
    [reply] = await chat.say(text)
    languages = LANGUAGES
    assert reply.text in {bot.pipeline.texts.get("clarify", lang) for lang in languages} | {
        entry.answer(lang) for entry in bot.faqs.faqs.values() if entry.small_talk
        for lang in languages
    }, reply
    assert not any(b.startswith("feedback:") for b in reply.button_ids)


@pytest.mark.parametrize(
    ("text", "number"),
    [("第二个", 2), ("選第二個", 2), ("兩", 2), ("the Second one", 2), ("LAST", -1),
     ("3号", 3), ("  the fifth option please! ", 5), ("第二个" + "！" * 70, 2), ("ﬁrst", 1),
     ("the second\n" + "\n" * 70, 2)],
)
def test_an_ordinal_is_read_in_either_script(text: str, number: int) -> None:
    assert _ordinal(text) == number


@pytest.mark.parametrize(
    "text", ["运费多少", "hello", "the second one" + " " * 60 + "please tell me more", "二手"]
)
def test_other_texts_are_no_ordinal(text: str) -> None:
    assert _ordinal(text) is None
