"""Daily check-in: once per calendar day in the brand's time zone, streaks, milestones."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.app import Bot
from bot.core.clock import FixedClock
from tests.helpers.chat import Chat


def balance(bot: Bot, chat: Chat) -> int:
    customer = bot.store.customers.find(chat.platform, chat.user_id)
    assert customer is not None
    return bot.store.loyalty.balance(customer.id, bot.clock.now())


async def test_check_in_twice_the_same_day_credits_once(rewards_bot: Bot) -> None:
    chat = Chat(rewards_bot, user_id="tea-lover")
    first = await chat.say("签到")
    assert "签到成功" in first[0].text and "+5" in first[0].text
    assert "已连续签到 1 天" in first[0].text and "再签到 6 天可额外获得 20 积分" in first[0].text
    second = await chat.say("/checkin")  # a command keeps the language the customer writes in
    assert "今天已经签过到" in second[0].text
    assert balance(rewards_bot, chat) == 5


async def test_the_day_turns_at_midnight_in_the_brands_time_zone(
    rewards_bot: Bot, clock: FixedClock
) -> None:
    chat = Chat(rewards_bot, user_id="night-owl")
    clock.moment = clock.moment.replace(hour=15, minute=50)  # 23:50 in Shanghai
    assert "签到成功" in (await chat.say("签到"))[0].text
    clock.advance(minutes=20)  # 00:10 in Shanghai, still 16:10 the same day in UTC
    replies = await chat.say("check in")
    assert "Checked in" in replies[0].text and "2 days in a row" in replies[0].text
    clock.advance(hours=23)  # 23:10 the same Shanghai day
    assert "already checked in" in (await chat.say("check in"))[0].text
    assert balance(rewards_bot, chat) == 10


async def test_a_missed_day_resets_the_streak(rewards_bot: Bot, clock: FixedClock) -> None:
    chat = Chat(rewards_bot, user_id="forgetful")
    await chat.say("签到")
    clock.advance(days=1)
    assert "已连续签到 2 天" in (await chat.say("签到"))[0].text
    clock.advance(days=2)  # a day skipped
    replies = await chat.say("签到")
    assert "已连续签到 1 天" in replies[0].text
    assert balance(rewards_bot, chat) == 15


async def test_the_seventh_day_in_a_row_earns_the_streak_bonus(
    rewards_bot: Bot, clock: FixedClock
) -> None:
    chat = Chat(rewards_bot, user_id="faithful")
    for _ in range(6):
        await chat.say("签到")
        clock.advance(days=1)
    replies = await chat.say("签到")
    assert "连续签到奖励 +20" in replies[0].text and "已连续签到 7 天" in replies[0].text
    assert balance(rewards_bot, chat) == 7 * 5 + 20
    clock.advance(days=1)
    eighth = await chat.say("签到")
    assert "再签到 6 天可额外获得 20 积分" in eighth[0].text  # the table starts over


async def test_a_redelivered_check_in_is_answered_once(rewards_bot: Bot) -> None:
    chat = Chat(rewards_bot, user_id="retried")
    message = chat.message("签到")
    first = await chat.send(message)
    again = await chat.send(message)
    assert again[0].text == first[0].text
    assert balance(rewards_bot, chat) == 5


async def test_streak_table_and_points_come_from_config(
    start_bot: Callable[..., Awaitable[Bot]], clock: FixedClock
) -> None:
    bot = await start_bot(rewards={"checkin_points": 3, "streak_bonus": {"2": 50}})
    chat = Chat(bot, user_id="configured")
    await chat.say("签到")
    clock.advance(days=1)
    replies = await chat.say("签到")
    assert "+3" in replies[0].text and "+50" in replies[0].text
    assert balance(bot, chat) == 56
