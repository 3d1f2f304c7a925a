"""Points expiry reminders: once per customer per expiry date, only before the points expire."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

from bot.app import Bot
from bot.rewards.expiry import ExpiryReminders, ReminderRound
from tests.helpers.chat import Chat

# Points earned on 2 March 2026 expire at the start of 1 January 2028 (Shanghai) by default.
EARLY_DECEMBER = datetime(2027, 12, 5, 2, 0, tzinfo=UTC)
MID_DECEMBER = datetime(2027, 12, 15, 2, 0, tzinfo=UTC)


def reminders(bot: Bot) -> ExpiryReminders:
    [service] = [s for s in bot.services if isinstance(s, ExpiryReminders)]
    return service


def reminder_texts(bot: Bot) -> list[str]:
    rows = bot.store.db.query(
        "SELECT dedupe_key FROM outbox WHERE dedupe_key LIKE 'notify:expiry-reminder:%'"
    )
    return [row["dedupe_key"] for row in rows]


def customer_id(bot: Bot, user_id: str) -> str:
    customer = bot.store.customers.find("web", user_id)
    assert customer is not None
    return customer.id


async def test_a_customer_is_reminded_once_before_points_expire(rewards_bot: Bot) -> None:
    chat = Chat(rewards_bot, user_id="saver")
    await chat.say("签到")
    balance = rewards_bot.store.loyalty.balance(customer_id(rewards_bot, "saver"),
                                                rewards_bot.clock.now())
    assert balance > 0
    service = reminders(rewards_bot)
    assert service.run_once(rewards_bot.clock.now()) == ReminderRound(0, 0)  # far away yet
    assert service.run_once(datetime(2027, 11, 20, tzinfo=UTC)) == ReminderRound(0, 0)

    assert service.run_once(EARLY_DECEMBER) == ReminderRound(1, 0)
    assert service.run_once(EARLY_DECEMBER) == ReminderRound(0, 0)
    assert service.run_once(MID_DECEMBER) == ReminderRound(0, 0)  # same expiry date
    [key] = reminder_texts(rewards_bot)
    assert customer_id(rewards_bot, "saver") in key
    [body] = [json.loads(row["body"]) for row in rewards_bot.store.db.query(
        "SELECT body FROM outbox WHERE dedupe_key = ?", [key]
    )]
    assert f"{balance} 积分将于 2028-01-01 过期" in json.dumps(body, ensure_ascii=False)
    # After the date the points are gone: nothing left to remind about.
    assert service.run_once(datetime(2028, 1, 2, tzinfo=UTC)) == ReminderRound(0, 0)


async def test_spent_points_and_never_expiring_points_get_no_reminder(
    start_bot: Callable[..., Awaitable[Bot]], tmp_path: Path
) -> None:
    bot = await start_bot()
    await Chat(bot, user_id="spender").say("签到")
    account = customer_id(bot, "spender")
    loyalty = bot.store.loyalty
    assert loyalty.deduct(account, loyalty.balance(account, bot.clock.now()), "redeem", "1",
                          "test:spend", bot.clock.now())
    assert reminders(bot).run_once(EARLY_DECEMBER) == ReminderRound(0, 0)

    never = await start_bot(rewards={"points_expiry": "never"},
                            store={"path": str(tmp_path / "never.db")})
    await Chat(never, user_id="keeper").say("签到")
    assert reminders(never).run_once(EARLY_DECEMBER) == ReminderRound(0, 0)


async def test_an_unreachable_customer_is_counted_and_reminded_when_back(
    rewards_bot: Bot,
) -> None:
    chat = Chat(rewards_bot, user_id="away")
    await chat.say("签到")
    rewards_bot.store.customers.mark_unreachable("web", "away")
    service = reminders(rewards_bot)
    assert service.run_once(EARLY_DECEMBER) == ReminderRound(0, 1)
    assert reminder_texts(rewards_bot) == []
    await chat.say("你好")  # writing again makes the customer reachable
    assert service.run_once(MID_DECEMBER) == ReminderRound(1, 0)
    assert service.run_once(MID_DECEMBER) == ReminderRound(0, 0)


async def test_reminders_can_be_switched_off(start_bot: Callable[..., Awaitable[Bot]]) -> None:
    bot = await start_bot(rewards={"expiry_reminder_days": 0})
    await Chat(bot, user_id="quiet").say("签到")
    assert reminders(bot).run_once(EARLY_DECEMBER) == ReminderRound(0, 0)
