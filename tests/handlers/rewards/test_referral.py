"""Arrivals and referrals: welcome gift once ever, Telegram deep links, WeChat QR scenes,
WhatsApp click-to-chat, typed codes, and the rules against self-referral."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from urllib.parse import quote

from bot.app import Bot
from bot.core.message import Event, Message, MessageKind
from tests.helpers.chat import Chat

WECHAT_USER = "o6_bmjrPTlm6_2sgVt7hMZOPfL2M"


def says(chinese: str, english: str, text: str) -> bool:
    """A bare `ref_<code>` carries no language of its own: either reply language is right."""
    return chinese in text or english in text


def customer_id(bot: Bot, platform: str, user_id: str) -> str:
    customer = bot.store.customers.find(platform, user_id)
    assert customer is not None
    return customer.id


def points_of(bot: Bot, platform: str, user_id: str) -> int:
    return bot.store.loyalty.balance(customer_id(bot, platform, user_id), bot.clock.now())


def telegram_start(update_id: int, user_id: str, payload: str) -> Message:
    """A /start deep link as the Telegram adapter produces it."""
    return Message(
        platform="telegram", message_id=str(update_id), user_id=user_id, chat_id=user_id,
        kind=MessageKind.EVENT, event=Event.START, payload=payload,
        text=f"/start {payload}", display_name="Li Wei", source_id=f"{user_id}:{update_id}",
    )


def wechat_event(event: Event, create_time: int, payload: str | None = None) -> Message:
    """A subscribe / SCAN event as the WeChat adapter produces it (scene without qrscene_)."""
    return Message(
        platform="wechat", message_id=f"{WECHAT_USER}:{create_time}:{event.value}",
        user_id=WECHAT_USER, chat_id=WECHAT_USER, kind=MessageKind.EVENT, event=event,
        payload=payload, account="gh_3cf2a6b1c9d0",
    )


async def invite_code(chat: Chat) -> str:
    replies = await chat.say("邀请")
    found = re.search(r"邀请码：([A-Z0-9]{6})", replies[0].text)
    assert found, replies[0].text
    return found.group(1)


async def test_referral_through_a_telegram_deep_link(rewards_bot: Bot) -> None:
    inviter = Chat(rewards_bot, platform="wechat", user_id="o_inviter")
    code = await invite_code(inviter)
    friend = Chat(rewards_bot, platform="telegram", user_id="7001")
    arrival = await friend.send(telegram_start(900001, "7001", f"ref_{code}"))
    assert len(arrival) == 1
    assert "Cloud Leaf" in arrival[0].text  # the welcome
    assert says("10 积分", "10 points", arrival[0].text)  # the once-ever gift
    assert says("好友邀请来的", "A friend invited you", arrival[0].text)
    assert points_of(rewards_bot, "wechat", "o_inviter") == 0  # nothing until the first check-in

    replies = await friend.say("check in")
    assert "+100 points" in replies[0].text
    assert points_of(rewards_bot, "telegram", "7001") == 10 + 5 + 100
    assert points_of(rewards_bot, "wechat", "o_inviter") == 200

    assert rewards_bot.store.loyalty.referrals.complete(
        customer_id(rewards_bot, "telegram", "7001"), "telegram:again", rewards_bot.clock.now()
    ) is None  # a referral completes once


async def test_referral_through_a_wechat_qr_scene(rewards_bot: Bot) -> None:
    inviter = Chat(rewards_bot, platform="telegram", user_id="5005")
    code = await invite_code(inviter)
    follower = Chat(rewards_bot, platform="wechat", user_id=WECHAT_USER)
    arrival = await follower.send(wechat_event(Event.FOLLOW, 1772400000, f"ref_{code}"))
    assert "云叶茶舍" in arrival[0].text or "Cloud Leaf" in arrival[0].text
    assert "关注礼" in arrival[0].text
    assert says("好友邀请来的", "A friend invited you", arrival[0].text)
    replies = await follower.say("签到")
    assert "好友邀请奖励 +100 积分" in replies[0].text
    assert points_of(rewards_bot, "wechat", WECHAT_USER) == 10 + 5 + 100
    assert points_of(rewards_bot, "telegram", "5005") == 200


async def test_an_existing_follower_scanning_a_qr_code_is_referred(rewards_bot: Bot) -> None:
    code = await invite_code(Chat(rewards_bot, user_id="inviter"))
    follower = Chat(rewards_bot, platform="wechat", user_id=WECHAT_USER)
    await follower.send(wechat_event(Event.FOLLOW, 1772400000))
    replies = await follower.send(wechat_event(Event.SCAN, 1772400100, f"ref_{code}"))
    assert says("好友邀请来的", "A friend invited you", replies[0].text)
    await follower.say("签到")
    assert points_of(rewards_bot, "web", "inviter") == 200


async def test_the_welcome_gift_is_given_once_ever(rewards_bot: Bot) -> None:
    follower = Chat(rewards_bot, platform="wechat", user_id=WECHAT_USER)
    first = await follower.send(wechat_event(Event.FOLLOW, 1772400000))
    assert "关注礼" in first[0].text
    assert await follower.send(wechat_event(Event.UNFOLLOW, 1772400500)) == []
    again = await follower.send(wechat_event(Event.FOLLOW, 1772401000))
    assert "关注礼" not in again[0].text and "欢迎" in again[0].text
    assert points_of(rewards_bot, "wechat", WECHAT_USER) == 10


async def test_whatsapp_click_to_chat_carries_the_code(
    start_bot: Callable[..., Awaitable[Bot]]
) -> None:
    bot = await start_bot(rewards={"whatsapp_number": "+86 138 0000 0000",
                                   "telegram_bot_username": "@CloudLeafBot"})
    inviter = Chat(bot, user_id="inviter")
    reply = (await inviter.say("邀请"))[0].text
    code = re.search(r"邀请码：([A-Z0-9]{6})", reply).group(1)  # type: ignore[union-attr]
    assert f"https://t.me/CloudLeafBot?start=ref_{code}" in reply
    prefill = f"你好！我的邀请码是 ref_{code}"
    assert f"https://wa.me/8613800000000?text={quote(prefill)}" in reply

    friend = Chat(bot, platform="whatsapp", user_id="8613911112222")
    arrival = await friend.say(prefill)  # the first message, as WhatsApp prefills it
    assert "欢迎" in arrival[0].text and "关注礼" in arrival[0].text
    assert says("好友邀请来的", "A friend invited you", arrival[0].text)
    await friend.say("签到")
    assert points_of(bot, "web", "inviter") == 200


async def test_first_whatsapp_message_gets_the_gift_and_its_answer(rewards_bot: Bot) -> None:
    customer = Chat(rewards_bot, platform="whatsapp", user_id="8613933334444")
    replies = await customer.say("多久发货")
    assert "关注礼" in replies[0].text
    assert any("16:00" in reply.text for reply in replies[1:])
    later = await customer.say("多久发货")
    assert all("关注礼" not in reply.text for reply in later)
    assert points_of(rewards_bot, "whatsapp", "8613933334444") == 10


async def test_a_code_typed_anywhere_links_the_referrer(rewards_bot: Bot) -> None:
    code = await invite_code(Chat(rewards_bot, user_id="inviter"))
    friend = Chat(rewards_bot, user_id="typist")
    replies = await friend.say(code.lower())
    assert "invited you" in replies[0].text or "好友邀请来的" in replies[0].text
    again = await friend.say(code)
    assert "只能绑定一位邀请人" in again[0].text or "only one" in again[0].text


async def test_own_code_and_unknown_code_are_refused(rewards_bot: Bot) -> None:
    me = Chat(rewards_bot, user_id="me")
    code = await invite_code(me)
    own = (await me.say(f"ref_{code}"))[0].text
    assert says("不能使用自己的邀请码", "can't use your own", own)
    assert says("这个邀请码不存在", "doesn't exist", (await me.say("ref_ZZZZ99"))[0].text)


async def test_a_customer_who_checked_in_already_cannot_be_referred(rewards_bot: Bot) -> None:
    code = await invite_code(Chat(rewards_bot, user_id="inviter"))
    regular = Chat(rewards_bot, user_id="regular")
    await regular.say("签到")
    assert says("还没签到过", "haven't checked in yet", (await regular.say(f"ref_{code}"))[0].text)


async def test_the_daily_cap_per_referrer(start_bot: Callable[..., Awaitable[Bot]]) -> None:
    bot = await start_bot(rewards={"referral_daily_cap": 2})
    code = await invite_code(Chat(bot, user_id="popular"))
    outcomes = [(await Chat(bot, user_id=f"friend{n}").say(f"ref_{code}"))[0].text
                for n in range(3)]
    invited = [says("好友邀请来的", "A friend invited you", text) for text in outcomes]
    assert invited == [True, True, False]
    assert says("邀请名额已经用完", "today's invite limit", outcomes[2])
    bot.clock.advance(days=1)  # type: ignore[attr-defined]
    assert says("好友邀请来的", "A friend invited you", (
        await Chat(bot, user_id="friend9").say(f"ref_{code}")
    )[0].text)


async def test_self_referral_through_a_linked_account_is_refused(rewards_bot: Bot) -> None:
    web = Chat(rewards_bot, user_id="double")
    code = await invite_code(web)
    link = re.search(r"绑定码：(\d{6})", (await web.say("绑定"))[0].text)
    assert link
    telegram = Chat(rewards_bot, platform="telegram", user_id="6006")
    merged = await telegram.say(f"/link {link.group(1)}")
    assert "绑定成功" in merged[0].text
    arrival = await telegram.send(telegram_start(900002, "6006", f"ref_{code}"))
    assert says("不能使用自己的邀请码", "can't use your own", arrival[0].text)
    await telegram.say("check in")
    assert points_of(rewards_bot, "web", "double") == 10 + 5  # gift and check-in: no referral


async def test_a_referral_between_accounts_later_linked_is_cancelled(rewards_bot: Bot) -> None:
    web = Chat(rewards_bot, user_id="schemer")
    code = await invite_code(web)
    telegram = Chat(rewards_bot, platform="telegram", user_id="6007")
    arrival = await telegram.send(telegram_start(900003, "6007", f"ref_{code}"))
    assert says("好友邀请来的", "A friend invited you", arrival[0].text)
    link = re.search(r"绑定码：(\d{6})", (await web.say("绑定"))[0].text)
    assert link
    await telegram.say(f"link {link.group(1)}")
    replies = await telegram.say("check in")
    assert "Invite reward" not in replies[0].text
    assert points_of(rewards_bot, "web", "schemer") == 10 + 5  # gift and check-in only
