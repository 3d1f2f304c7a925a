"""Conversations through the pipeline: answers, did-you-mean, fallback, numbered choices."""

from __future__ import annotations

import pytest

from bot.app import Bot
from bot.core.message import Event
from tests.helpers.chat import Chat


async def test_chinese_question_gets_the_chinese_answer(chat: Chat) -> None:
    replies = await chat.say("多久发货")
    assert len(replies) == 1
    assert "16:00" in replies[0].text and "发货" in replies[0].text


async def test_english_question_gets_the_english_answer(chat: Chat) -> None:
    replies = await chat.say("How long until my order ships?")
    assert "ship" in replies[0].text and "16:00" in replies[0].text


async def test_traditional_question_is_answered_in_traditional(chat: Chat) -> None:
    replies = await chat.say("怎麼退貨")
    assert "簽收" in replies[0].text  # the simplified entry, served in traditional characters


async def test_unknown_question_falls_back_politely(chat: Chat) -> None:
    replies = await chat.say("qwzx plomf vrrk")
    assert len(replies) == 1
    assert "human" in replies[0].text


async def test_follow_event_is_welcomed_and_unfollow_is_silent(chat: Chat) -> None:
    welcome = await chat.event(Event.FOLLOW)
    assert "Cloud Leaf" in welcome[0].text or "云叶" in welcome[0].text
    assert await chat.event(Event.UNFOLLOW) == []


async def test_a_number_picks_the_last_offered_button(chat: Chat) -> None:
    first = await chat.say("多久发货")
    assert first[0].buttons, "the shipping answer offers follow-up buttons"
    chosen = first[0].buttons[0]
    replies = await chat.say("1")
    expected = await chat.press(chosen.id)
    assert replies[0].text == expected[0].text


async def test_both_directions_are_logged(bot: Bot, chat: Chat) -> None:
    await chat.say("多久发货")
    customer = bot.store.customers.find("web", chat.user_id)
    assert customer is not None
    lines = bot.store.conversations.recent(customer.id)
    assert [line.direction for line in lines] == ["in", "out"]
    assert lines[0].text == "多久发货" and lines[1].route == "faq"


async def test_a_failing_handler_gets_an_apology_not_silence(bot: Bot, chat: Chat) -> None:
    from bot.core.message import Message, Reply
    from bot.runtime.context import Context
    from bot.runtime.router import Route, Router

    async def broken(message: Message, ctx: Context, found: object) -> list[Reply]:
        raise RuntimeError("bug")

    bot.pipeline.router = Router((Route("broken", lambda m, c: True, broken),))
    replies = await chat.say("多久发货")
    assert len(replies) == 1
    assert "出了点" in replies[0].text


async def test_a_photo_caption_is_read_as_a_question(chat: Chat) -> None:
    from bot.core.message import Media, MessageKind

    replies = await chat.send(
        chat.message("How long until my order ships?", kind=MessageKind.IMAGE,
                     media=Media("media-1"))
    )
    assert "16:00" in replies[0].text
    bare = await chat.send(chat.message("", kind=MessageKind.IMAGE, media=Media("media-2")))
    assert "text" in bare[0].text  # the polite "we can only read text" answer


def test_codes_and_commands_do_not_decide_the_language() -> None:
    from bot.core.language import detect_language

    assert detect_language("ref_ABCDEF", "zh-Hans") == "zh-Hans"
    assert detect_language("/checkin", "zh-Hans") == "zh-Hans"
    assert detect_language("CL2611180001", "zh-Hans") == "zh-Hans"
    assert detect_language("where is CL2611180001", "zh-Hans") == "en"
    assert detect_language("我的订单 CL2611180001", "en") == "zh-Hans"


async def test_unicode_digits_are_not_button_numbers(chat: Chat) -> None:
    first = await chat.say("多久发货")
    assert first[0].buttons
    for text in ("²", "①", "١"):
        replies = await chat.say(text)  # not a crash, not a button press: an ordinary answer
        assert replies and replies[0].text


async def test_a_reply_without_buttons_retires_the_old_menu(chat: Chat) -> None:
    first = await chat.say("多久发货")
    assert first[0].buttons
    plain = await chat.say("签到")  # the check-in answer has no buttons
    assert not plain[0].buttons
    replies = await chat.say("1")
    assert replies[0].text != (await chat.press(first[0].buttons[0].id))[0].text


async def test_a_message_that_fails_outside_the_router_gets_an_apology_once(
    bot: Bot, chat: Chat, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("log is down")

    monkeypatch.setattr(bot.store.conversations, "append", broken)
    message = chat.message("多久发货")
    replies = await chat.send(message)
    assert "出了点" in replies[0].text
    monkeypatch.undo()
    delivery = bot.store.deliveries.get("web", message.message_id)
    assert delivery is not None and delivery.status == "handled"  # never resumed again
    assert await bot.pipeline.resume() == 0
