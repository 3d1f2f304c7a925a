"""Redemption through the pipeline: concurrency, stock, tiers; linking merges once; points view."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable

from bot.app import Bot
from bot.core.message import MessageKind
from tests.helpers.chat import Chat

SMALL_REWARD = {"number": 1, "name_zh": "茶包", "name_en": "Tea bag", "cost": 10}


async def link_code(chat: Chat) -> str:
    found = re.search(r"绑定码：(\d{6})", (await chat.say("绑定"))[0].text)
    assert found
    return found.group(1)


def account(bot: Bot, platform: str, user_id: str) -> str:
    customer = bot.store.customers.find(platform, user_id)
    assert customer is not None
    return customer.id


async def customer_with(bot: Bot, user_id: str, points: int) -> tuple[Chat, str]:
    chat = Chat(bot, user_id=user_id)
    await chat.say("积分")
    customer_id = account(bot, "web", user_id)
    assert bot.store.loyalty.award(customer_id, points, "correction", "test", f"seed:{user_id}",
                                   bot.clock.now())
    return chat, customer_id


async def test_100_concurrent_redemptions_of_500_points(
    start_bot: Callable[..., Awaitable[Bot]]
) -> None:
    bot = await start_bot(rewards={"catalogue": [{**SMALL_REWARD, "generate": 60}]})
    chat, customer_id = await customer_with(bot, "rush", 500)
    answers = await asyncio.gather(*(chat.say("兑换 1") for _ in range(100)))
    texts = [replies[0].text for replies in answers]
    won = [text for text in texts if "兑换成功" in text]
    refused = [text for text in texts if "积分还不够" in text and "没有扣" in text]
    assert len(won) == 50 and len(refused) == 50
    codes = {re.search(r"券码：(\S+)", text).group(1) for text in won}  # type: ignore[union-attr]
    assert len(codes) == 50
    loyalty = bot.store.loyalty
    assert loyalty.balance(customer_id, bot.clock.now()) == 0
    assert loyalty.ledger_sum(customer_id) == 0
    assert loyalty.catalogue.left(1) == 10


async def test_concurrent_redemptions_never_go_below_zero_stock(
    start_bot: Callable[..., Awaitable[Bot]]
) -> None:
    bot = await start_bot(rewards={"catalogue": [{**SMALL_REWARD, "generate": 20}]})
    chat, customer_id = await customer_with(bot, "rush", 500)
    answers = await asyncio.gather(*(chat.say("兑换 1") for _ in range(100)))
    texts = [replies[0].text for replies in answers]
    assert sum("兑换成功" in text for text in texts) == 20
    assert sum("已经兑完了" in text and "积分没有扣除" in text for text in texts) == 80
    assert bot.store.loyalty.catalogue.left(1) == 0
    assert bot.store.loyalty.balance(customer_id, bot.clock.now()) == 300


async def test_a_button_redeems_and_a_redelivery_gets_the_same_code(rewards_bot: Bot) -> None:
    chat, customer_id = await customer_with(rewards_bot, "buttons", 150)
    catalogue = await chat.say("积分兑换")
    assert catalogue[0].buttons[0].id == "rewards:redeem:1"
    message = chat.message("兑换 1", kind=MessageKind.BUTTON,
                           payload="rewards:redeem:1")
    first = await chat.send(message)
    again = await chat.send(message)
    assert "兑换成功" in first[0].text and again[0].text == first[0].text
    assert rewards_bot.store.loyalty.balance(customer_id, rewards_bot.clock.now()) == 50


async def test_tier_locked_and_unknown_rewards_change_nothing(rewards_bot: Bot) -> None:
    chat, customer_id = await customer_with(rewards_bot, "bronze", 600)
    assert "仅限银粉及以上" in (await chat.say("兑换 3"))[0].text
    assert "没有编号为 9 的奖励" in (await chat.say("兑换 9"))[0].text
    assert rewards_bot.store.loyalty.balance(customer_id, rewards_bot.clock.now()) == 600


async def test_linking_two_identities_merges_balances_exactly_once(rewards_bot: Bot) -> None:
    web = Chat(rewards_bot, user_id="web-me")
    await web.say("签到")
    telegram = Chat(rewards_bot, platform="telegram", user_id="4242")
    await telegram.say("签到")
    await telegram.say("签到")
    code = await link_code(web)
    message = telegram.message(f"绑定 {code}")
    merged = await telegram.send(message)
    assert "绑定成功" in merged[0].text and "10 积分" in merged[0].text
    assert (await telegram.send(message))[0].text == merged[0].text  # redelivered
    assert "无效、已用过或已过期" in (await telegram.say(f"绑定 {code}"))[0].text
    web_id = account(rewards_bot, "web", "web-me")
    telegram_id = account(rewards_bot, "telegram", "4242")
    assert web_id == telegram_id
    assert rewards_bot.store.loyalty.balance(web_id, rewards_bot.clock.now()) == 10
    # One account now: a second check-in today from either app is refused.
    assert "今天已经签过到啦" in (await web.say("签到"))[0].text
    points = await telegram.say("积分")
    assert "当前积分：10" in points[0].text


async def test_an_expired_or_own_link_code_is_refused(rewards_bot: Bot) -> None:
    web = Chat(rewards_bot, user_id="web-me")
    code = await link_code(web)
    assert "属于当前账号" in (await web.say(f"绑定 {code}"))[0].text
    rewards_bot.clock.advance(minutes=11)  # type: ignore[attr-defined]
    other = Chat(rewards_bot, user_id="other")
    assert "无效、已用过或已过期" in (await other.say(f"绑定 {code}"))[0].text


async def test_points_view_shows_tier_progress_history_and_expiry(rewards_bot: Bot) -> None:
    chat, customer_id = await customer_with(rewards_bot, "viewer", 40)
    rewards_bot.clock.advance(days=640)  # type: ignore[attr-defined]  # late next year
    text = (await chat.say("积分"))[0].text
    assert "当前积分：40" in text and "铁粉" in text and "积分调整 +40" in text
    assert "有 40 积分将于 2028-01-01 过期" in text
    rewards_bot.clock.advance(days=30)  # type: ignore[attr-defined]
    assert "当前积分：0" in (await chat.say("积分"))[0].text
    assert rewards_bot.store.loyalty.ledger_sum(customer_id) == 0


async def test_tier_upgrade_is_announced_once(rewards_bot: Bot) -> None:
    chat, customer_id = await customer_with(rewards_bot, "climber", 10)
    await chat.say("积分")
    rewards_bot.store.loyalty.award(customer_id, 1000, "order", "A1", "order:A1",
                                    rewards_bot.clock.now())
    first = (await chat.say("积分"))[0].text
    assert "恭喜升级为银粉" in first and "1.2 倍" in first
    assert "恭喜升级" not in (await chat.say("积分"))[0].text
    loyalty, now = rewards_bot.store.loyalty, rewards_bot.clock.now()
    assert loyalty.earn(customer_id, 100, "order", "A2", "order:A2", now) == 120  # Silver: 1.2×
    assert loyalty.earn(customer_id, 100, "order", "A2", "order:A2", now) == 0  # key used


async def test_leaderboard_masks_names_and_shows_my_rank(rewards_bot: Bot) -> None:
    for name, user_id in (("王小明", "wang"), ("Li Wei", "li")):
        chat = Chat(rewards_bot, user_id=user_id)
        await chat.send(chat.message("签到", display_name=name))
    await Chat(rewards_bot, user_id="li").say("兑换")  # spending does not lower the board
    rewards_bot.store.loyalty.award(account(rewards_bot, "web", "li"), 50, "order", "B1",
                                    "order:B1", rewards_bot.clock.now())
    board = (await Chat(rewards_bot, user_id="wang").say("排行榜"))[0].text
    assert "1. Li*** — 55 分" in board and "2. 王** — 5 分" in board
    assert "你本月排第 2 名" in board
    await Chat(rewards_bot, user_id="li").say("隐藏排名")
    board = (await Chat(rewards_bot, user_id="wang").say("排行榜"))[0].text
    assert "Li***" not in board and "你本月排第 1 名" in board


async def test_wrong_link_codes_are_limited_so_codes_cannot_be_guessed(
    rewards_bot: Bot,
) -> None:
    owner = Chat(rewards_bot, user_id="owner")
    code = re.search(r"(\d{6})", (await owner.say("link"))[0].text)
    assert code is not None
    attacker = Chat(rewards_bot, platform="telegram", user_id="9999")
    wrong = "000000" if code.group(1) != "000000" else "111111"
    for _ in range(5):
        assert "not valid" in (await attacker.say(f"link {wrong}"))[0].text
    # Even the right code is refused now: guessing is capped, not just slowed.
    assert "Too many" in (await attacker.say(f"link {code.group(1)}"))[0].text
    customers = rewards_bot.store.customers
    owner_account = customers.find("web", "owner")
    assert owner_account is not None
    assert customers.find("telegram", "9999") != owner_account
    # The owner's own other app, within the window and with the right code, still links.
    other = Chat(rewards_bot, platform="console", user_id="owner-laptop")
    await other.say(f"link {code.group(1)}")
    linked = customers.find("console", "owner-laptop")
    assert linked is not None and linked.id == owner_account.id
