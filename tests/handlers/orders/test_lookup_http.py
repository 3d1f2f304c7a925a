"""Order lookup against a loopback shop API: a holding reply, then one answer on recovery."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any

import pytest

from bot.app import Bot, build_bot
from bot.config import Config
from bot.orders.service import OrderService
from bot.orders.source import CircuitBreaker
from tests.fakes.shop_api import ShopApi, serve_shop
from tests.helpers.chat import Chat

ORDER = {
    "number": "CL2611180001", "status": "shipped",
    "items": [{"name": "西湖龙井 100g", "quantity": 1}], "amount": "298.00",
    "carrier": "顺丰速运", "tracking_number": "SF1402345678901", "expected_on": "2026-11-25",
    "phone": "13812345678", "province": "浙江省", "city": "杭州市", "address": "龙井路 18 号",
}
SLOW = "订单系统现在有点慢"


@pytest.fixture
async def shop() -> AsyncIterator[ShopApi]:
    async with serve_shop({"CL2611180001": ORDER}) as running:
        yield running


def http_config(make_config: Callable[..., Config], shop: ShopApi, **http: Any) -> Config:
    settings = {
        "url": shop.base_url + "/orders/{number}", "auth_env": "SHOP_TOKEN",
        "timeout_seconds": 0.3, "retries": 1, "breaker_failures": 2,
        "breaker_cooldown_seconds": 0, "retry_interval_seconds": 3600, **http,
    }
    return make_config(
        env={"SHOP_TOKEN": "Bearer sh0p"},
        orders={"source": "http", "samples": "", "http": settings},
    )


@pytest.fixture
async def http_bot(make_config: Callable[..., Config], shop: ShopApi) -> AsyncIterator[Bot]:
    bot = build_bot(http_config(make_config, shop))
    await bot.start()
    yield bot
    await bot.stop()


def service(bot: Bot) -> OrderService:
    found = bot.pipeline.services[OrderService]
    assert isinstance(found, OrderService)
    return found


def sent_to(bot: Bot, chat: Chat) -> list[str]:
    """What the bot sent the customer on its own initiative (logged as relayed)."""
    customer = bot.store.customers.find(chat.platform, chat.user_id)
    assert customer is not None
    return [
        line.text for line in bot.store.conversations.recent(customer.id, 100)
        if line.route == "relay"
    ]


async def test_an_owner_gets_the_answer_from_the_shop(http_bot: Bot, shop: ShopApi) -> None:
    chat = Chat(http_bot)
    await chat.say("CL2611180001")
    [found] = await chat.say("5678")
    assert "SF1402345678901" in found.text and "138****5678" in found.text
    assert {headers["Authorization"] for _, headers in shop.requests} == {"Bearer sh0p"}


async def test_unknown_order_on_the_shop_is_not_revealed(http_bot: Bot) -> None:
    chat = Chat(http_bot)
    [ask] = await chat.say("CL2699999999")
    assert "后 4 位" in ask.text
    [missing] = await chat.say("5678")
    assert "没有找到" in missing.text


async def test_slow_shop_gets_a_holding_reply_then_one_answer(
    http_bot: Bot, shop: ShopApi
) -> None:
    chat = Chat(http_bot)
    await chat.say("你好")
    customer = http_bot.store.customers.find("web", chat.user_id)
    assert customer is not None
    http_bot.store.orders.access.link_phone(customer.id, "13812345678", http_bot.clock.now())
    shop.mode = "stall"
    [holding] = await chat.say("CL2611180001")
    assert SLOW in holding.text
    assert await service(http_bot).run_once() == 0  # still stalled: nothing sent
    assert sent_to(http_bot, chat) == []
    shop.mode = "ok"
    assert await service(http_bot).run_once() == 1
    assert await service(http_bot).run_once() == 0  # answered: never again
    [answer] = sent_to(http_bot, chat)
    assert "SF1402345678901" in answer and "已发货" in answer
    rows = list(http_bot.store.db.query("SELECT dedupe_key FROM outbox WHERE platform = 'web'"))
    assert [row["dedupe_key"] for row in rows] == ["notify:orders-pending:1:0:0"]


async def test_second_factor_given_while_down_is_checked_on_recovery(
    http_bot: Bot, shop: ShopApi
) -> None:
    chat = Chat(http_bot)
    await chat.say("CL2611180001")
    shop.mode = "error"
    [holding] = await chat.say("5678")
    assert SLOW in holding.text
    shop.mode = "ok"
    assert await service(http_bot).run_once() == 1
    [answer] = sent_to(http_bot, chat)
    assert "SF1402345678901" in answer
    [again] = await chat.say("CL2611180001")  # verified now: no second question
    assert "SF1402345678901" in again.text


async def test_a_last_four_given_while_down_needs_the_whole_phone_under_guessing(
    http_bot: Bot, shop: ShopApi
) -> None:
    chat = Chat(http_bot)
    await chat.say("CL2611180001")
    shop.mode = "error"
    await chat.say("5678")
    for attempt in range(5):  # meanwhile others guessed at the order
        http_bot.store.orders.attempts.record_failure(
            f"guesser-{attempt}", "CL2611180001", http_bot.clock.now(), limit=5,
            window=timedelta(hours=1), pause=timedelta(hours=1),
        )
    shop.mode = "ok"
    assert await service(http_bot).run_once() == 1
    [asked] = sent_to(http_bot, chat)
    assert "完整的下单手机号" in asked and "SF1402345678901" not in asked
    [answer] = await chat.say("13812345678")
    assert "SF1402345678901" in answer.text


async def test_an_unverified_customer_is_asked_for_the_factor_on_recovery(
    http_bot: Bot, shop: ShopApi
) -> None:
    chat = Chat(http_bot)
    shop.mode = "error"
    [holding] = await chat.say("CL2611180001")
    assert SLOW in holding.text
    shop.mode = "ok"
    await service(http_bot).run_once()
    [question] = sent_to(http_bot, chat)
    assert "订单系统恢复了" in question and "CL2611180001" in question
    [found] = await chat.say("5678")
    assert "SF1402345678901" in found.text


async def test_the_breaker_skips_a_failing_shop(http_bot: Bot, shop: ShopApi) -> None:
    shop.mode = "error"
    chat = Chat(http_bot)
    source = service(http_bot).source
    for _ in range(2):
        await chat.say("CL2611180001")
    breaker = getattr(source, "breaker", None)
    assert isinstance(breaker, CircuitBreaker) and breaker.is_open is False  # cooldown 0
    breaker.cooldown = 3600
    calls = len(shop.requests)
    [holding] = await chat.say("CL2611180001")
    assert SLOW in holding.text
    assert len(shop.requests) == calls  # open: the shop is not called at all


def test_circuit_breaker_opens_cools_down_and_closes() -> None:
    now = [100.0]
    breaker = CircuitBreaker(failures=2, cooldown_seconds=30, monotonic=lambda: now[0])
    breaker.failure()
    assert not breaker.is_open
    breaker.failure()
    assert breaker.is_open
    now[0] += 31
    assert not breaker.is_open  # half-open: one trial call may go
    breaker.failure()
    assert breaker.is_open  # the trial failed: open again at once
    now[0] += 31
    breaker.success()
    assert not breaker.is_open and breaker.failures == 0


async def test_the_background_retrier_delivers_after_recovery(
    make_config: Callable[..., Config], shop: ShopApi
) -> None:
    bot = build_bot(http_config(make_config, shop, retry_interval_seconds=0.02))
    await bot.start()
    try:
        chat = Chat(bot)
        shop.mode = "error"
        await chat.say("CL2611180001")
        shop.mode = "ok"
        async with asyncio.timeout(5):
            while not sent_to(bot, chat):
                await asyncio.sleep(0.01)  # waiting for the background task, not for a time
        assert "订单系统恢复了" in sent_to(bot, chat)[0]
    finally:
        await bot.stop()
