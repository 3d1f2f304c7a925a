"""Farming and lockouts with free web identities: points, referrals, link codes, merges.

A script can be a new web chat customer for every message, from one address or many. None
of that may earn points, lock real customers out of linking, or lose what a customer had.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable

import pytest

from bot.app import Bot, build_bot
from bot.config import Config
from tests.helpers.chat import Chat

NO_WEB_POINTS = "网页聊天暂不累积积分"
LIMITED_WEB = "现在暂时不能在网页聊天里输入绑定码"
MERGED = "绑定成功"


@pytest.fixture
async def rewards_default(make_config: Callable[..., Config]) -> AsyncIterator[Bot]:
    """A bot with the sample reward rules as shipped (no points for web-only customers)."""
    instance = build_bot(make_config())
    await instance.start()
    yield instance
    await instance.stop()


def balance(bot: Bot, chat: Chat) -> int:
    customer = bot.store.customers.find(chat.platform, chat.user_id)
    assert customer is not None
    return bot.store.loyalty.balance(customer.id, bot.clock.now())


async def code_of(chat: Chat, command: str, pattern: str) -> str:
    [reply] = await chat.say(command)
    found = re.search(pattern, reply.text)
    assert found, reply.text
    return found.group(1)


async def fresh_web(bot: Bot, index: int, origin: str, text: str) -> str:
    chat = Chat(bot, user_id=f"farm-{origin}-{index}")
    replies = await chat.send(chat.message(text, origin=origin))
    return " ".join(reply.text for reply in replies)


async def test_fresh_web_ids_earn_nothing_for_an_inviter(rewards_default: Bot) -> None:
    bot = rewards_default
    inviter = Chat(bot, platform="telegram", user_id="inviter")
    await inviter.say("签到")
    before = balance(bot, inviter)
    code = await code_of(inviter, "邀请", r"邀请码：([A-Z0-9]{6})")
    for index in range(50):
        farm = Chat(bot, user_id=f"farm-{index}")
        await farm.say(f"ref_{code}")
        [answer] = await farm.say("签到")
        assert NO_WEB_POINTS in answer.text
        assert balance(bot, farm) == 0
    assert balance(bot, inviter) == before
    credits = bot.store.db.scalar(
        "SELECT count(*) FROM ledger WHERE points > 0 AND reason <> 'checkin'"
    )
    assert credits == 0


async def test_web_ids_linked_into_one_account_bring_nothing(rewards_default: Bot) -> None:
    bot = rewards_default
    fan = Chat(bot, platform="telegram", user_id="fan")
    await fan.say("签到")
    before = balance(bot, fan)
    for index in range(20):
        farm = Chat(bot, user_id=f"farm-{index}")
        await farm.say("签到")
        code = await code_of(fan, "绑定", r"(\d{6})")
        [merged] = await farm.say(f"绑定 {code}")
        assert MERGED in merged.text
    assert balance(bot, fan) == before


async def test_a_web_chat_linked_to_an_app_checks_in_for_the_account(
    rewards_default: Bot,
) -> None:
    bot = rewards_default
    fan = Chat(bot, platform="telegram", user_id="fan")
    web = Chat(bot, user_id="fan-on-the-web")
    code = await code_of(web, "绑定", r"(\d{6})")
    await fan.say(f"绑定 {code}")
    [checked] = await web.say("签到")
    assert "签到成功" in checked.text
    [again] = await fan.say("签到")  # one account, one check-in a day
    assert "签到成功" not in again.text
    assert balance(bot, web) == balance(bot, fan) == 5


async def test_web_points_can_be_switched_on(make_config: Callable[..., Config]) -> None:
    bot = build_bot(make_config(rewards={"web_points": True}))
    await bot.start()
    try:
        web = Chat(bot, user_id="trusted-brand-site")
        [checked] = await web.say("签到")
        assert "签到成功" in checked.text and balance(bot, web) == 5
    finally:
        await bot.stop()


async def test_wrong_link_codes_from_fresh_web_ids_lock_no_app_customer_out(
    rewards_default: Bot,
) -> None:
    bot = rewards_default
    for index in range(60):  # a different address every time: only the count in all can see
        await fresh_web(bot, index, f"10.1.{index}.1", f"绑定 {100000 + index}")
    # Another web visitor is turned to the way that always works …
    visitor = Chat(bot, user_id="real-visitor")
    fan = Chat(bot, platform="telegram", user_id="fan")
    code = await code_of(fan, "绑定", r"(\d{6})")
    [limited] = await visitor.say(f"绑定 {code}")
    assert LIMITED_WEB in limited.text
    # … which works: a code from the web chat, sent from the app.
    code = await code_of(visitor, "绑定", r"(\d{6})")
    [merged] = await fan.say(f"绑定 {code}")
    assert MERGED in merged.text
    # App customers link on, each with their own limit.
    other = Chat(bot, platform="whatsapp", user_id="8613800000001")
    code = await code_of(Chat(bot, platform="telegram", user_id="other"), "绑定", r"(\d{6})")
    [merged] = await other.say(f"绑定 {code}")
    assert MERGED in merged.text


async def test_one_address_with_fresh_web_ids_is_limited(rewards_default: Bot) -> None:
    bot = rewards_default
    answers = [await fresh_web(bot, index, "203.0.113.5", f"绑定 {200000 + index}")
               for index in range(12)]
    assert all("绑定码无效" in text for text in answers[:10])
    assert all(LIMITED_WEB in text for text in answers[10:])
    fan = Chat(bot, platform="telegram", user_id="fan")
    code = await code_of(fan, "绑定", r"(\d{6})")
    elsewhere = Chat(bot, user_id="elsewhere")
    [merged] = await elsewhere.send(elsewhere.message(f"绑定 {code}", origin="198.51.100.7"))
    assert MERGED in merged.text


async def verify_on_the_web(bot: Bot) -> Chat:
    web = Chat(bot, user_id="web-buyer")
    await web.say("CL2611180001")
    [shown] = await web.say("5678")
    assert "SF1402345678901" in shown.text
    return web


async def test_the_web_sides_verified_orders_survive_linking_either_way(
    rewards_default: Bot,
) -> None:
    bot = rewards_default
    # The web side types the app's code: the web customer is the one absorbed.
    web = await verify_on_the_web(bot)
    app = Chat(bot, platform="telegram", user_id="buyer")
    await web.say("绑定 " + await code_of(app, "绑定", r"(\d{6})"))
    [shown] = await app.say("CL2611180001")
    assert "SF1402345678901" in shown.text
    [listed] = await app.say("我的订单")
    assert "CL2611180001" in listed.text
    # The other way round: the app types the web side's code.
    other_web = Chat(bot, user_id="web-buyer-2")
    await other_web.say("CL2611190002")
    await other_web.say("4321")
    other_app = Chat(bot, platform="whatsapp", user_id="8613900000002")
    await other_app.say("绑定 " + await code_of(other_web, "绑定", r"(\d{6})"))
    [shown] = await other_app.say("CL2611190002")
    assert "已付款，正在备货" in shown.text
