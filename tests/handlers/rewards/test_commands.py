"""Points from staff: /grant and /deduct write one ledger row and one audit row, exactly once."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest

from bot.app import Bot
from bot.config import Config
from tests.helpers.chat import Chat
from tests.helpers.staff import staff_config, started, stop


@pytest.fixture
async def bot(make_config: Callable[..., Config]) -> AsyncIterator[Bot]:
    instance = await started(staff_config(make_config))
    yield instance
    await stop(instance)


def admin(bot: Bot) -> Chat:
    return Chat(bot, platform="console", user_id="admin")


async def customer_id(bot: Bot, user_id: str = "fan") -> str:
    await Chat(bot, user_id=user_id).say("多久发货")
    found = bot.store.customers.find("web", user_id)
    assert found is not None
    return found.id


def ledger_rows(bot: Bot) -> int:
    return int(bot.store.db.scalar("SELECT count(*) FROM ledger"))


def balance(bot: Bot, customer: str) -> int:
    return bot.store.loyalty.balance(customer, bot.clock.now())


def confirm_code(text: str) -> str:
    return text.rsplit("/confirm ", 1)[1].split()[0]


async def test_grant_writes_one_ledger_row_and_one_audit_row(bot: Bot) -> None:
    fan = await customer_id(bot)
    before = ledger_rows(bot)
    replies = await admin(bot).say("/grant web:fan 50 sorry for the late parcel")
    assert replies[0].text == f"Granted 50 points (sorry for the late parcel); {fan} now has 50."
    assert ledger_rows(bot) == before + 1
    [entry] = bot.store.loyalty.history(fan)
    assert (entry.points, entry.reference, entry.reason) == (50, "console:admin", "correction")
    [audit] = bot.store.staff.recent_audit()
    assert (audit.staff, audit.action, audit.target) == ("console:admin", "grant", fan)
    assert audit.before == {"balance": 0}
    assert audit.after == {"balance": 50, "points": 50, "reason": "sorry for the late parcel",
                           "key": entry.key}
    # A staff grant is no earning: the tier and the leaderboard do not move.
    assert bot.store.loyalty.standing.tier_points(fan, bot.clock.now()) == 0


async def test_a_big_grant_is_a_dry_run_until_confirmed_once(bot: Bot) -> None:
    fan = await customer_id(bot)
    before = ledger_rows(bot)
    dry = await admin(bot).say(f"/加积分 {fan} 600 prize of the tasting contest")
    assert dry[0].text.startswith(f"Dry run, nothing changed: grant 600 points to {fan} (0 → 600)")
    assert ledger_rows(bot) == before and bot.store.staff.recent_audit() == []
    code = confirm_code(dry[0].text)
    done = await admin(bot).say(f"/confirm {code}")
    assert done[0].text == f"Granted 600 points (prize of the tasting contest); {fan} now has 600."
    assert "No pending change" in (await admin(bot).say(f"/confirm {code}"))[0].text
    assert ledger_rows(bot) == before + 1 and balance(bot, fan) == 600
    assert [entry.action for entry in bot.store.staff.recent_audit()] == ["grant"]


async def test_a_redelivered_grant_message_credits_once(bot: Bot) -> None:
    fan = await customer_id(bot)
    before = ledger_rows(bot)
    chat = admin(bot)
    message = chat.message("/grant web:fan 30 loyal since 2019")
    first = await chat.send(message)
    # The platform delivers the same message again: the pipeline answers it as before.
    assert await chat.send(message) == first
    # The message is handled again (as after a crash between recording and answering):
    # the ledger key, made from the delivery key, refuses the second credit.
    again = await bot.pipeline.handle(message)
    assert again.replies[0].text == "Already done: this grant was carried out before."
    assert ledger_rows(bot) == before + 1 and balance(bot, fan) == 30
    assert len(bot.store.staff.recent_audit()) == 1


async def test_a_deduct_larger_than_the_balance_is_refused(bot: Bot) -> None:
    fan = await customer_id(bot)
    await admin(bot).say(f"/grant {fan} 40 welcome back")
    rows = ledger_rows(bot)
    refused = await admin(bot).say(f"/deduct {fan} 41 returned the order")
    assert refused[0].text == f"Refused: {fan} has 40 points, fewer than 41. Nothing changed."
    assert ledger_rows(bot) == rows and balance(bot, fan) == 40
    done = await admin(bot).say(f"/扣积分 {fan} 15 returned the order")
    assert done[0].text == f"Deducted 15 points (returned the order); {fan} now has 25."
    [entry, _] = bot.store.loyalty.history(fan)
    assert (entry.points, entry.reference) == (-15, "console:admin")
    audit = bot.store.staff.recent_audit()[0]
    assert (audit.action, audit.before, audit.after["balance"]) == ("deduct", {"balance": 40}, 25)


async def test_a_big_deduct_rechecks_the_balance_when_confirmed(bot: Bot) -> None:
    fan = await customer_id(bot)
    bot.store.loyalty.award(fan, 900, "checkin", "", "test:seed", bot.clock.now())
    dry = await admin(bot).say(f"/deduct {fan} 800 fraud")
    assert dry[0].text.startswith(f"Dry run, nothing changed: deduct 800 points from {fan}")
    assert "(900 → 100)" in dry[0].text
    # The customer spends points before the admin confirms.
    assert bot.store.loyalty.deduct(fan, 200, "redeem", "1", "test:spend", bot.clock.now())
    refused = await admin(bot).say(f"/confirm {confirm_code(dry[0].text)}")
    assert refused[0].text == f"Refused: {fan} has 700 points, fewer than 800. Nothing changed."
    assert balance(bot, fan) == 700 and bot.store.staff.recent_audit() == []


@pytest.mark.parametrize(
    "command",
    ["/grant", "/grant web:fan", "/grant web:fan 10", "/grant web:fan ten points",
     "/grant web:fan 0 nothing", "/grant web:fan -5 minus", "/grant web:fan 1.5 half",
     "/grant web:fan ² squared", "/deduct web:fan 10"],
)
async def test_wrong_points_arguments_get_the_usage_line(bot: Bot, command: str) -> None:
    await customer_id(bot)
    replies = await admin(bot).say(command)
    name = command.split()[0]
    assert replies[0].text.startswith(f"Usage: {name} <customer> <points> <reason>")
    assert bot.store.staff.recent_audit() == []


async def test_points_commands_are_for_admins_only(bot: Bot) -> None:
    fan = await customer_id(bot)
    for name in ("editor", "agent"):
        chat = Chat(bot, platform="console", user_id=name)
        for command in (f"/grant {fan} 10 hi", f"/deduct {fan} 10 hi"):
            assert "is not for your role" in (await chat.say(command))[0].text
    # A customer typing it gets an ordinary answer and no points.
    await Chat(bot, user_id="fan").say(f"/grant {fan} 10 myself")
    assert balance(bot, fan) == 0 and bot.store.staff.recent_audit() == []
    assert "No customer web:ghost" in (await admin(bot).say("/grant web:ghost 5 hi"))[0].text


async def test_who_shows_the_points_balance_and_tier(bot: Bot) -> None:
    fan = await customer_id(bot)
    agent = Chat(bot, platform="console", user_id="agent")
    assert "points 0, tier bronze" in (await agent.say(f"/who {fan}"))[0].text
    bot.store.loyalty.award(fan, 2000, "checkin", "", "test:earned", bot.clock.now())
    await admin(bot).say(f"/grant {fan} 25 birthday")
    text = (await agent.say("/who web:fan"))[0].text
    # 2000 points earned make silver; the staff grant adds to the balance, not to the tier.
    assert "points 2025, tier silver" in text
