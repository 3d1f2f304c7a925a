"""Referrals completed by the referred customer's first paid order (`referral_step = "order"`)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from aiohttp.test_utils import TestClient

from bot.app import Bot, build_bot
from bot.config import Config
from bot.orders.events import SIGNATURE_HEADER, sign
from bot.server.app import create_app
from bot.server.running import BOT_KEY
from tests.helpers.chat import Chat
from tests.helpers.web import bearer

SECRET = "order-events-s3cret"
ORDER = "CL2611190002"  # sample order, paid, phone ends in 4321


async def make_api(
    make_config: Callable[..., Config], aiohttp_client: Callable[..., Any], step: str
) -> TestClient[Any, Any]:
    config = make_config(
        env={"ORDER_EVENTS_SECRET": SECRET}, orders={"events_secret_env": "ORDER_EVENTS_SECRET"},
        rewards={"referral_step": step, "web_points": True},
    )
    return await aiohttp_client(create_app(build_bot(config)))  # type: ignore[no-any-return]


async def paid(api: TestClient[Any, Any], event_id: str) -> dict[str, Any]:
    body = json.dumps({"event_id": event_id, "order_number": ORDER, "status": "paid"}).encode()
    response = await api.post("/api/orders/events", data=body, headers={
        "Content-Type": "application/json", SIGNATURE_HEADER: sign(SECRET, body),
    })
    assert response.status == 200
    return await response.json()  # type: ignore[no-any-return]


def balance(bot: Bot, user_id: str) -> int:
    customer = bot.store.customers.find("web", user_id)
    assert customer is not None
    return bot.store.loyalty.balance(customer.id, bot.clock.now())


async def referred_buyer(bot: Bot) -> tuple[Chat, Chat]:
    """An inviter, and a friend who arrived with the inviter's code and then proved the order."""
    inviter = Chat(bot, user_id="inviter")
    found = re.search(r"邀请码：([A-Z0-9]{6})", (await inviter.say("邀请"))[0].text)
    assert found
    buyer = Chat(bot, user_id="buyer")
    linked = (await buyer.say(f"ref_{found.group(1)}"))[0].text
    assert "首笔订单" in linked or "first order" in linked
    await buyer.say(ORDER)
    await buyer.say("4321")
    return inviter, buyer


async def test_a_paid_order_completes_the_referral_once(
    make_config: Callable[..., Config], aiohttp_client: Callable[..., Any]
) -> None:
    api = await make_api(make_config, aiohttp_client, "order")
    bot = api.app[BOT_KEY]
    _, buyer = await referred_buyer(bot)
    await buyer.say("签到")  # checking in does not complete an order-step referral
    before = balance(bot, "inviter"), balance(bot, "buyer")

    result = await paid(api, "evt-pay-1")
    [done] = result["referrals_completed"]
    assert done["referred_id"] == bot.store.customers.find("web", "buyer").id  # type: ignore[union-attr]
    assert balance(bot, "inviter") == before[0] + 200
    assert balance(bot, "buyer") == before[1] + 100
    keys = [row["dedupe_key"] for row in bot.store.db.query("SELECT dedupe_key FROM outbox")]
    assert any(key.startswith("notify:referral:evt-pay-1:") for key in keys)

    replay = await paid(api, "evt-pay-1")
    assert replay["duplicate"] is True
    again = await paid(api, "evt-pay-2")  # a second paid event: the referral is already done
    assert "referrals_completed" not in again
    assert balance(bot, "inviter") == before[0] + 200
    assert balance(bot, "buyer") == before[1] + 100
    history = await (await api.get("/api/chat/history", headers=bearer(bot, "inviter"))).json()
    assert any("首笔订单" in message["text"] for message in history["messages"])


async def test_a_paid_event_arriving_after_shipped_still_completes_the_referral(
    make_config: Callable[..., Config], aiohttp_client: Callable[..., Any]
) -> None:
    api = await make_api(make_config, aiohttp_client, "order")
    bot = api.app[BOT_KEY]
    await referred_buyer(bot)
    before = balance(bot, "inviter")
    body = json.dumps({"event_id": "evt-ship", "order_number": ORDER, "status": "shipped",
                       "carrier": "顺丰速运", "tracking_number": "SF1"}).encode()
    await api.post("/api/orders/events", data=body, headers={
        "Content-Type": "application/json", SIGNATURE_HEADER: sign(SECRET, body),
    })
    # The shop's retry of the paid event comes after shipped: no stale status message, but
    # the payment did happen, so the referral completes.
    result = await paid(api, "evt-pay-late")
    assert result["stale"] is True and result["referrals_completed"]
    assert balance(bot, "inviter") == before + 200
    keys = [row["dedupe_key"] for row in bot.store.db.query("SELECT dedupe_key FROM outbox")]
    assert not any(key.startswith("notify:order-event:evt-pay-late:") for key in keys)
    assert any(key.startswith("notify:referral:evt-pay-late:") for key in keys)
    assert bot.store.orders.get(ORDER).status == "shipped"  # type: ignore[union-attr]


async def test_with_the_default_step_a_paid_order_completes_nothing(
    make_config: Callable[..., Config], aiohttp_client: Callable[..., Any]
) -> None:
    api = await make_api(make_config, aiohttp_client, "checkin")
    bot = api.app[BOT_KEY]
    inviter = Chat(bot, user_id="inviter")
    found = re.search(r"邀请码：([A-Z0-9]{6})", (await inviter.say("邀请"))[0].text)
    assert found
    buyer = Chat(bot, user_id="buyer")
    await buyer.say(f"ref_{found.group(1)}")
    await buyer.say(ORDER)
    await buyer.say("4321")
    before = balance(bot, "inviter")
    assert "referrals_completed" not in await paid(api, "evt-pay-3")
    assert balance(bot, "inviter") == before
    await buyer.say("签到")
    assert balance(bot, "inviter") == before + 200


async def test_a_customer_who_already_ordered_cannot_be_referred(
    make_config: Callable[..., Config], aiohttp_client: Callable[..., Any]
) -> None:
    api = await make_api(make_config, aiohttp_client, "order")
    bot = api.app[BOT_KEY]
    found = re.search(r"邀请码：([A-Z0-9]{6})", (await Chat(bot, user_id="a").say("邀请"))[0].text)
    assert found
    regular = Chat(bot, user_id="regular")
    await regular.say(ORDER)
    await regular.say("4321")
    refused = (await regular.say(f"ref_{found.group(1)}"))[0].text
    assert "还没下过单" in refused or "haven't ordered" in refused

