"""Guessing second factors: one address with many identities, many addresses, and the owner.

A web chat identity costs nothing, so per-customer pauses alone stop no one: these tests
mint a new identity for every guess, as a script would.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from bot.app import Bot, build_bot
from bot.config import Config
from bot.core.order import Item, Order
from bot.server.app import create_app
from tests.helpers.chat import Chat
from tests.helpers.web import visit

ORDERS = 300
SECRET = "SECRET-TRACKING"
PAUSED = "订单查询会暂停"
FULL_FACTOR = "现在需要完整的下单手机号"
NOT_FOUND = "没有找到与这个订单号和验证信息都相符的订单"


def number(index: int) -> str:
    return f"CL{27000000 + index:010d}"


def phone(index: int) -> str:
    return f"139{index:08d}"


@pytest.fixture
async def shop(make_config: Callable[..., Config]) -> AsyncIterator[Bot]:
    """A bot whose store holds 300 orders, each with its own phone."""
    instance = build_bot(make_config(orders={"samples": ""}))
    await instance.start()
    now = instance.clock.now()
    for index in range(ORDERS):
        instance.store.orders.upsert(
            Order(
                number=number(index), status="shipped", items=(Item("tea"),),
                amount=Decimal("10"), carrier="SF", tracking_number=f"{SECRET}-{index}",
                phone=phone(index),
            ),
            now,
        )
    yield instance
    await instance.stop()


class Guesser:
    """A script that is a new customer for every message, all from one address."""

    def __init__(self, bot: Bot, origin: str) -> None:
        self.bot = bot
        self.origin = origin
        self.count = 0

    async def guess(self, order: str, factor: str) -> str:
        self.count += 1
        chat = Chat(self.bot, user_id=f"{self.origin}-visitor-{self.count}")
        [asked] = await chat.send(chat.message(order, origin=self.origin))
        if PAUSED in asked.text:
            return asked.text
        [reply] = await chat.send(chat.message(factor, origin=self.origin))
        return reply.text


async def test_one_address_with_fresh_identities_is_paused(shop: Bot) -> None:
    guesser = Guesser(shop, "203.0.113.9")
    answers = [
        await guesser.guess(number(index), f"{9000 + attempt}")  # never a last four here
        for index in range(ORDERS)
        for attempt in range(4)
    ]
    assert not any(SECRET in text for text in answers)
    # Ten wrong tries from the address in the window, then every new identity is paused.
    assert all(NOT_FOUND in text for text in answers[:10])
    assert all(PAUSED in text for text in answers[10:])
    failures = shop.store.db.scalar("SELECT count(*) FROM order_lookup_failures")
    assert failures == 10  # paused visitors are not even checked
    # A customer elsewhere is not caught by that address's pause.
    owner = Chat(shop, user_id="owner")
    await owner.send(owner.message(number(7), origin="198.51.100.20"))
    [shown] = await owner.send(owner.message(phone(7), origin="198.51.100.20"))
    assert f"{SECRET}-7" in shown.text


async def test_guessing_from_many_addresses_needs_the_whole_phone(shop: Bot) -> None:
    # Every guess from its own address: only the counts by order and overall can notice.
    answers = [
        await Guesser(shop, f"10.0.{index // 250}.{index % 250}").guess(
            number(index % ORDERS), f"{9000 + index}"
        )
        for index in range(60)
    ]
    assert not any(SECRET in text for text in answers)
    assert all(NOT_FOUND in text for text in answers[:50])
    assert all(FULL_FACTOR in text for text in answers[50:])
    # Past the overall limit, even the right last four of an order reveals nothing …
    right_four = await Guesser(shop, "10.9.9.9").guess(number(200), phone(200)[-4:])
    assert FULL_FACTOR in right_four and SECRET not in right_four
    # … and asking about an order that does not exist gets the very same answer.
    unknown = await Guesser(shop, "10.9.9.8").guess("CL9999999999", "1234")
    assert unknown == right_four
    # The owner, who knows the whole number, still gets in.
    owner = Chat(shop, user_id="owner")
    await owner.send(owner.message(number(200), origin="10.9.9.7"))
    [refused] = await owner.send(owner.message(phone(200)[-4:], origin="10.9.9.7"))
    assert FULL_FACTOR in refused.text
    [shown] = await owner.send(owner.message(f"+86 {phone(200)}", origin="10.9.9.7"))
    assert f"{SECRET}-200" in shown.text


async def test_the_guessing_lapses_after_the_window(shop: Bot) -> None:
    guesser = Guesser(shop, "203.0.113.9")
    for attempt in range(12):
        await guesser.guess(number(attempt), f"{9000 + attempt}")
    assert PAUSED in await guesser.guess(number(1), phone(1)[-4:])
    long_ago = (shop.clock.now() - timedelta(minutes=61)).isoformat()
    shop.store.db.execute("UPDATE order_lookup_failures SET created_at = ?", [long_ago])
    shown = await guesser.guess(number(1), phone(1)[-4:])
    assert f"{SECRET}-1" in shown


async def test_full_width_digits_are_the_same_digits(shop: Bot) -> None:
    owner = Chat(shop, user_id="owner")
    full_width_number = number(3).translate(
        str.maketrans("CL0123456789", "ＣＬ０１２３４５６７８９")
    )
    await owner.say(full_width_number)
    four = phone(3)[-4:].translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    [shown] = await owner.say(four)
    assert f"{SECRET}-3" in shown.text


async def test_the_web_door_counts_by_the_visitors_address(
    make_config: Callable[..., Config], aiohttp_client: Callable[..., Any]
) -> None:
    # Through the real HTTP door: every visitor a new session, all from 127.0.0.1.
    config = make_config(orders={"max_failures_per_order": 100})
    client = await aiohttp_client(create_app(build_bot(config)))
    texts = []
    for attempt in range(12):
        visitor = await visit(client)
        asked = await visitor.say("CL2611180001")
        answer = asked if attempt >= 10 else await visitor.say(f"{attempt:04d}")
        texts.append(" ".join(reply["text"] for reply in answer["replies"]))
    assert all(NOT_FOUND in text for text in texts[:10])
    assert all(PAUSED in text for text in texts[10:])
