"""Outside a platform's messaging window an order update or a points reminder goes as that
platform's approved template, its parameters filled from what the message means: WhatsApp
templates in the customer's language, WeChat template messages and subscribe notifications.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp.test_utils import TestClient

from bot.app import Bot, build_bot
from bot.config import Config
from bot.core.clock import FixedClock
from bot.orders.events import SIGNATURE_HEADER, sign
from bot.rewards.expiry import ExpiryReminders, ReminderRound
from bot.server.app import create_app
from bot.server.running import BOT_KEY
from tests.adapters.whatsapp.helpers import ENV as WHATSAPP_ENV
from tests.adapters.whatsapp.helpers import settings_table
from tests.fakes.wechat_api import FakeWeChatApi
from tests.fakes.whatsapp_api import FakeGraphApi
from tests.helpers.wechat import ENV as WECHAT_ENV
from tests.helpers.wechat import OPENID, platform_table

SECRET = "order-events-s3cret"
NOW = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)
WA_ID = "8613800138000"
SHIPPED = {
    "event_id": "evt-7001", "order_number": "CL2611190002", "status": "shipped",
    "carrier": "顺丰速运", "tracking_number": "SF1409999999999", "expected_on": "2026-11-28",
}
WHATSAPP_TEMPLATES = {
    "order_shipped": {
        "name": "order_shipped_v2", "body": ["{number}", "{carrier}", "{tracking}"],
        "languages": {"zh-Hans": "zh_CN", "en": "en_US"}, "url_button": "{number}",
    },
    "points_expiring": {
        "name": "points_expiring", "body": {"points": "{points}", "date": "{date}"},
        "languages": {"zh-Hans": "zh_CN", "en": "en_US"},
    },
}
WECHAT_NOTICES = {
    "order_shipped": {
        "api": "template", "template_id": "tmpl-shipped-01",
        "url": "https://shop.example.com/orders/{number}",
        "data": {"character_string1": "{number}", "thing2": "{carrier}",
                 "character_string3": "{tracking}"},
    },
    "points_expiring": {
        "api": "subscribe", "template_id": "sub-points-02",
        "data": {"number1": "{points}", "date2": "{date}", "thing3": "积分即将过期，记得兑换"},
    },
}

Client = TestClient[Any, Any]


def customer_of(bot: Bot, platform: str, user_id: str, language: str, wrote_ago: timedelta) -> str:
    """A customer who last wrote `wrote_ago` and owns order CL2611190002."""
    customer = bot.store.customers.resolve(
        platform, user_id, NOW - wrote_ago, language=language
    )
    bot.store.orders.access.grant(customer.id, "CL2611190002", "test", NOW - wrote_ago)
    return customer.id


async def ship(client: Client) -> dict[str, Any]:
    body = json.dumps(SHIPPED, ensure_ascii=False).encode()
    response = await client.post(
        "/api/orders/events", data=body,
        headers={SIGNATURE_HEADER: sign(SECRET, body), "Content-Type": "application/json"},
    )
    assert response.status == 200
    result: dict[str, Any] = await response.json()
    return result


async def start(
    make_config: Callable[..., Config], aiohttp_client: Callable[..., Any], env: dict[str, str],
    **platforms: dict[str, Any],
) -> Client:
    config = make_config(
        env={"ORDER_EVENTS_SECRET": SECRET, **env},
        orders={"events_secret_env": "ORDER_EVENTS_SECRET"}, platforms=platforms,
    )
    client: Client = await aiohttp_client(create_app(build_bot(config, clock=FixedClock(NOW))))
    return client


def remind(bot: Bot, customer_id: str) -> ReminderRound:
    """Points earned now, then the daily check a month before they expire."""
    bot.store.loyalty.award(customer_id, 120, "order", "CL2611190002", "test-award", NOW)
    [service] = [s for s in bot.services if isinstance(s, ExpiryReminders)]
    return service.run_once(datetime(2027, 12, 5, 2, 0, tzinfo=UTC))


async def test_whatsapp_outside_24_hours_sends_templates_with_parameters_in_their_language(
    make_config: Callable[..., Config], aiohttp_client: Callable[..., Any], graph: FakeGraphApi
) -> None:
    client = await start(
        make_config, aiohttp_client, WHATSAPP_ENV,
        whatsapp=settings_table(graph.url, templates=WHATSAPP_TEMPLATES),
    )
    bot: Bot = client.app[BOT_KEY]
    customer = customer_of(bot, "whatsapp", WA_ID, "zh-Hans", timedelta(hours=30))
    result = await ship(client)
    assert result["notified"] == [{"customer_id": customer, "platform": "whatsapp"}]
    [sent] = await graph.wait_for(1)
    assert sent.body == {
        "messaging_product": "whatsapp", "recipient_type": "individual", "to": WA_ID,
        "type": "template",
        "template": {
            "name": "order_shipped_v2", "language": {"code": "zh_CN"},
            "components": [
                {"type": "body", "parameters": [
                    {"type": "text", "text": "CL2611190002"}, {"type": "text", "text": "顺丰速运"},
                    {"type": "text", "text": "SF1409999999999"},
                ]},
                {"type": "button", "sub_type": "url", "index": "0",
                 "parameters": [{"type": "text", "text": "CL2611190002"}]},
            ],
        },
    }
    bot.store.customers.set_language(customer, "en")
    assert remind(bot, customer) == ReminderRound(1, 0)
    [_, reminder] = await graph.wait_for(2)
    assert reminder.body["template"] == {
        "name": "points_expiring", "language": {"code": "en_US"},
        "components": [{"type": "body", "parameters": [
            {"type": "text", "parameter_name": "points", "text": "120"},
            {"type": "text", "parameter_name": "date", "text": "2028-01-01"},
        ]}],
    }
    # The conversation shows what was said, marked as sent by template.
    routes = [row["route"] for row in bot.store.db.query(
        "SELECT route FROM conversation_log WHERE direction = 'out' ORDER BY id")]
    assert routes == ["template", "template"]


async def test_whatsapp_without_a_template_for_the_notice_tells_nobody(
    make_config: Callable[..., Config], aiohttp_client: Callable[..., Any], graph: FakeGraphApi
) -> None:
    client = await start(make_config, aiohttp_client, WHATSAPP_ENV,
                         whatsapp=settings_table(graph.url))
    bot: Bot = client.app[BOT_KEY]
    customer_of(bot, "whatsapp", WA_ID, "zh-Hans", timedelta(hours=30))
    result = await ship(client)
    assert result["notified"] == [] and len(result["not_delivered"]) == 1
    assert bot.store.outbox.list() == []


async def test_whatsapp_inside_the_window_sends_the_message_itself(
    make_config: Callable[..., Config], aiohttp_client: Callable[..., Any], graph: FakeGraphApi
) -> None:
    client = await start(
        make_config, aiohttp_client, WHATSAPP_ENV,
        whatsapp=settings_table(graph.url, templates=WHATSAPP_TEMPLATES),
    )
    bot: Bot = client.app[BOT_KEY]
    customer_of(bot, "whatsapp", WA_ID, "zh-Hans", timedelta(hours=2))
    await ship(client)
    sent = await graph.wait_for(1)
    assert sent[0].body["type"] == "interactive"  # free-form, with its "details" button
    assert "SF1409999999999" in sent[0].body["interactive"]["body"]["text"]


async def test_wechat_outside_48_hours_sends_a_template_message_and_a_subscribe_notice(
    make_config: Callable[..., Config], aiohttp_client: Callable[..., Any],
    wechat_api: FakeWeChatApi,
) -> None:
    client = await start(
        make_config, aiohttp_client, WECHAT_ENV,
        wechat=platform_table("plain", wechat_api.url, notices=WECHAT_NOTICES),
    )
    bot: Bot = client.app[BOT_KEY]
    customer = customer_of(bot, "wechat", OPENID, "zh-Hans", timedelta(hours=50))
    result = await ship(client)
    assert result["notified"] == [{"customer_id": customer, "platform": "wechat"}]
    assert remind(bot, customer) == ReminderRound(1, 0)
    await bot.outbox.wait_idle()
    assert wechat_api.notices == [
        ("/cgi-bin/message/template/send", {
            "touser": OPENID, "template_id": "tmpl-shipped-01",
            "url": "https://shop.example.com/orders/CL2611190002",
            "data": {"character_string1": {"value": "CL2611190002"},
                     "thing2": {"value": "顺丰速运"},
                     "character_string3": {"value": "SF1409999999999"}},
        }),
        ("/cgi-bin/message/subscribe/bizsend", {
            "touser": OPENID, "template_id": "sub-points-02",
            "data": {"number1": {"value": "120"}, "date2": {"value": "2028-01-01"},
                     "thing3": {"value": "积分即将过期，记得兑换"}},
        }),
    ]
    assert wechat_api.attempts == []  # no customer-service send was tried
    assert {row.status for row in bot.store.outbox.list()} == {"sent"}


async def test_wechat_a_customer_who_refused_the_notification_is_shown_undeliverable(
    make_config: Callable[..., Config], aiohttp_client: Callable[..., Any],
    wechat_api: FakeWeChatApi,
) -> None:
    wechat_api.planned_notices.append({"errcode": 43101, "errmsg": "user refuse to accept"})
    client = await start(
        make_config, aiohttp_client, WECHAT_ENV,
        wechat=platform_table("plain", wechat_api.url, notices=WECHAT_NOTICES),
    )
    bot: Bot = client.app[BOT_KEY]
    customer = customer_of(bot, "wechat", OPENID, "zh-Hans", timedelta(hours=50))
    assert remind(bot, customer) == ReminderRound(1, 0)
    await bot.outbox.wait_idle()
    [row] = bot.store.outbox.list()
    assert row.status == "undeliverable" and "not accepted this notification" in row.last_error
