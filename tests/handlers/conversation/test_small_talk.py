"""Small talk through the web chat: answered from the KB's entries, in the customer's script,
never queued for review, never an FAQ answer, never "didn't understand"."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.app import Bot
from bot.core.clock import FixedClock
from bot.core.language import ENGLISH, HANS, HANT
from tests.helpers.chat import Chat
from tests.helpers.web_chat import WebChat

# (what the customer types, the entry that answers it, the language of the answer)
SMALL_TALK = [
    ("你好", "greeting", HANS), ("在吗", "greeting", HANS), ("有人吗？", "greeting", HANS),
    ("亲，在吗", "greeting", HANS), ("在嗎", "greeting", HANT), ("hi", "greeting", ENGLISH),
    ("Hello there!", "greeting", ENGLISH), ("hiiii", "greeting", ENGLISH),
    ("谢谢", "thanks", HANS), ("谢谢你们啦", "thanks", HANS), ("謝謝", "thanks", HANT),
    ("非常感謝", "thanks", HANT), ("thanks!", "thanks", ENGLISH),
    ("thank you so much guys", "thanks", ENGLISH), ("thnaks", "thanks", ENGLISH),
    ("再见", "goodbye", HANS), ("拜拜", "goodbye", HANS), ("再見", "goodbye", HANT),
    ("bye", "goodbye", ENGLISH), ("ok thanks bye", "thanks", ENGLISH),
    ("好的", "acknowledge", HANS), ("嗯嗯", "acknowledge", HANS), ("收到", "acknowledge", HANS),
    ("好的好的", "acknowledge", HANS), ("okay", "acknowledge", ENGLISH),
    ("是的", "affirm", HANS), ("对", "affirm", HANS), ("對的", "affirm", HANT),
    ("yes", "affirm", ENGLISH), ("不是", "deny", HANS), ("no", "deny", ENGLISH),
    ("你是机器人吗", "bot", HANS), ("你是機器人嗎", "bot", HANT),
    ("are you a robot?", "bot", ENGLISH), ("你真棒", "praise", HANS),
    ("you're awesome", "praise", ENGLISH), ("你真笨", "insult", HANS),
    ("you are useless", "insult", ENGLISH), ("哈哈哈", "laugh", HANS), ("lol", "laugh", ENGLISH),
]


def staff(bot: Bot, role: str = "admin") -> Chat:
    """A member of staff of that role, in the terminal shell."""
    return Chat(bot, platform="console", user_id=role)


def answer_of(bot: Bot, kind: str, language: str) -> str:
    entry = bot.faqs.get(f"small-talk.{kind}")
    assert entry is not None and entry.small_talk
    return entry.answer(language)


@pytest.mark.parametrize(("text", "kind", "language"), SMALL_TALK)
async def test_small_talk_is_answered_by_its_entry(
    bot: Bot, chat: WebChat, text: str, kind: str, language: str
) -> None:
    [reply] = await chat.say(text)
    assert reply.text == answer_of(bot, kind, language)
    # Nothing a customer says in small talk is a question for staff to review.
    assert bot.store.kb_review.items() == []


async def test_a_question_wrapped_in_small_talk_gets_the_faq(bot: Bot, chat: WebChat) -> None:
    [zh] = await chat.say("你好，请问多久发货呀？谢谢")
    assert "16:00" in zh.text
    [en] = await chat.say("hi there, how much is shipping? thanks")
    shipping_fee = bot.faqs.get("shipping-fee")
    assert shipping_fee is not None and en.text.startswith(shipping_fee.answer(ENGLISH))


async def test_thanks_around_an_unclear_remark_is_thanks(bot: Bot, chat: WebChat) -> None:
    [reply] = await chat.say("thanks for the super quick reply!")
    assert reply.text == answer_of(bot, "thanks", ENGLISH)


async def test_greeting_alone_never_queues_for_a_person(bot: Bot, chat: WebChat) -> None:
    for text in ("在吗", "有人在吗", "在不在", "hello?"):
        await chat.say(text)
    assert bot.store.handoffs.summary(bot.clock.now().replace(year=2000))["requested"] == 0


async def test_the_bot_question_offers_a_person(chat: WebChat) -> None:
    [reply] = await chat.say("am I talking to a bot")
    assert "automated" in reply.text and reply.button_ids == ["handoff"]


async def test_a_complaint_gets_an_apology_and_a_person_and_is_counted(
    bot: Bot, chat: WebChat, clock: FixedClock
) -> None:
    [zh] = await chat.say("我要投诉")
    clock.moment += timedelta(seconds=1)
    assert zh.text == answer_of(bot, "complaint", HANS) and zh.button_ids == ["handoff"]
    [en] = await chat.say("This is terrible!!")
    clock.moment += timedelta(seconds=1)
    assert en.text == answer_of(bot, "complaint", ENGLISH)
    hant, *_ = await chat.say("我要投訴你們的快遞員")
    assert hant.text == answer_of(bot, "complaint", HANT)
    assert bot.store.kb_review.items() == []
    report = await staff(bot).say("/stats")
    assert "complaints 3" in report[0].text


async def test_a_complaint_with_a_clear_question_also_gets_the_answer(
    bot: Bot, chat: WebChat
) -> None:
    apology, answer = await chat.say("this is terrible, my teapot arrived broken")
    assert apology.text == answer_of(bot, "complaint", ENGLISH)
    damaged = bot.faqs.get("damaged-item")
    assert damaged is not None and answer.text.startswith(damaged.answer(ENGLISH))


@pytest.mark.parametrize(
    ("text", "language"),
    [("我真的不想活了", HANS), ("活著沒意思，想自殺", HANT), ("I want to kill myself", ENGLISH),
     ("honestly I feel suicidal", ENGLISH)],
)
async def test_distress_gets_care_and_a_person_never_a_joke(
    bot: Bot, chat: WebChat, text: str, language: str
) -> None:
    replies = await chat.say(text)
    assert replies[0].text == answer_of(bot, "distress", language)
    assert "12356" in replies[0].text or "988" in replies[0].text
    # A person is asked for at once; the customer hears that someone is coming.
    assert bot.store.handoffs.summary(bot.clock.now().replace(year=2000))["requested"] == 1
    assert len(replies) == 2 and replies[1].text != replies[0].text


@pytest.mark.parametrize("text", ["想死你们了！", "双十一跳楼价的龙井还有吗"])
async def test_everyday_phrases_that_look_like_distress_are_not(
    bot: Bot, chat: WebChat, text: str
) -> None:
    replies = await chat.say(text)
    assert replies[0].text != answer_of(bot, "distress", HANS)
    assert bot.store.handoffs.summary(bot.clock.now().replace(year=2000))["requested"] == 0


async def test_staff_edit_small_talk_like_any_faq(bot: Bot, chat: WebChat) -> None:
    editor = staff(bot, "editor")
    await editor.say("/kb phrase small-talk.thanks 感恩有你")
    await editor.say("/kb answer small-talk.thanks 不用谢，祝你喝茶愉快！")
    [reply] = await chat.say("感恩有你")
    assert reply.text == "不用谢，祝你喝茶愉快！"
    [shown] = await editor.say("/kb show small-talk.thanks")
    assert "small talk: thanks" in shown.text
    revisions = bot.store.kb.revisions("small-talk.thanks")
    assert [revision.who for revision in revisions][-2:] == ["console:editor"] * 2


async def test_small_talk_is_not_counted_as_unanswered(
    bot: Bot, chat: WebChat, clock: FixedClock
) -> None:
    for text in ("你好", "thanks", "再见", "ok"):
        clock.moment += timedelta(seconds=1)
        await chat.say(text)
    [report] = await staff(bot).say("/stats")
    assert "fallback 0" in report.text and "small talk 4" in report.text
