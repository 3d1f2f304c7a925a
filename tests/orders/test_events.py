"""POST /api/orders/events: signed status changes update the order and tell its owner once."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.app import build_bot
from bot.config import Config
from bot.core.clock import FixedClock
from bot.orders.events import SIGNATURE_HEADER, sign
from bot.server.app import create_app
from bot.server.running import BOT_KEY
from tests.helpers.chat import Chat
from tests.helpers.web import bearer

SECRET = "order-events-s3cret"
SHIPPED = {
    "event_id": "evt-1001", "order_number": "CL2611190002", "status": "shipped",
    "carrier": "顺丰速运", "tracking_number": "SF1409999999999", "expected_on": "2026-11-26",
}


@pytest.fixture
async def api(
    make_config: Callable[..., Config], aiohttp_client: Callable[..., Any]
) -> TestClient[Any, Any]:
    config = make_config(
        env={"ORDER_EVENTS_SECRET": SECRET}, orders={"events_secret_env": "ORDER_EVENTS_SECRET"}
    )
    return await aiohttp_client(create_app(build_bot(config)))  # type: ignore[no-any-return]


async def owner_chat(api: TestClient[Any, Any], user_id: str = "owner") -> Chat:
    """A web customer who verified CL2611190002 (paid; phone ends in 4321)."""
    chat = Chat(api.app[BOT_KEY], user_id=user_id)
    await chat.say("CL2611190002")
    [found] = await chat.say("4321")
    assert "已付款" in found.text
    return chat


async def post(api: TestClient[Any, Any], body: bytes, signature: str | None) -> Any:
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers[SIGNATURE_HEADER] = signature
    return await api.post("/api/orders/events", data=body, headers=headers)


def outbox_keys(api: TestClient[Any, Any]) -> list[str]:
    rows = api.app[BOT_KEY].store.db.query("SELECT dedupe_key FROM outbox ORDER BY id")
    return [row["dedupe_key"] for row in rows]


async def test_a_signed_shipping_event_tells_the_owner_once(api: TestClient[Any, Any]) -> None:
    chat = await owner_chat(api)
    body = json.dumps(SHIPPED).encode()
    response = await post(api, body, sign(SECRET, body))
    assert response.status == 200
    result = await response.json()
    bot = api.app[BOT_KEY]
    customer = bot.store.customers.find("web", chat.user_id)
    assert customer is not None
    assert result["order_updated"] is True and result["duplicate"] is False
    assert result["notified"] == [{"customer_id": customer.id, "platform": "web"}]
    order = bot.store.orders.get("CL2611190002")
    assert order is not None and order.status == "shipped"
    assert order.tracking_number == "SF1409999999999"
    history = await (
        await api.get("/api/chat/history", headers=bearer(bot, chat.user_id))
    ).json()
    last = history["messages"][-1]
    assert last["route"] == "relay" and "已发货" in last["text"]
    assert "SF1409999999999" in last["text"] and "2026-11-26" in last["text"]
    assert outbox_keys(api) == [f"notify:order-event:evt-1001:{customer.id}:0:0"]
    replay = await post(api, body, sign(SECRET, body))
    assert (await replay.json())["duplicate"] is True
    assert outbox_keys(api) == [f"notify:order-event:evt-1001:{customer.id}:0:0"]
    [details] = await chat.press("orders.lookup:CL2611190002")
    assert "SF1409999999999" in details.text


@pytest.mark.parametrize(
    "signature", [None, "", "sha256=00", sign("wrong secret", b"{}"), "sha256=签名"]
)
async def test_a_bad_signature_changes_nothing(
    api: TestClient[Any, Any], signature: str | None
) -> None:
    await owner_chat(api)
    body = json.dumps(SHIPPED).encode()
    response = await post(api, body, signature)
    assert response.status == 401
    bot = api.app[BOT_KEY]
    order = bot.store.orders.get("CL2611190002")
    assert order is not None and order.status == "paid"
    assert bot.store.db.scalar("SELECT count(*) FROM order_events") == 0
    assert bot.store.db.scalar("SELECT count(*) FROM dead_letters") == 0
    assert outbox_keys(api) == []


async def test_a_tampered_body_is_refused(api: TestClient[Any, Any]) -> None:
    body = json.dumps(SHIPPED).encode()
    signature = sign(SECRET, body)
    response = await post(api, body.replace(b"SF140", b"SF999"), signature)
    assert response.status == 401


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b"{not json", "body must be JSON"),
        (b"[1, 2]", "JSON object"),
        (json.dumps({**SHIPPED, "status": "lost"}).encode(), "status must be one of"),
        (json.dumps({**SHIPPED, "tracking_number": ""}).encode(), "carrier and tracking_number"),
        (json.dumps({k: v for k, v in SHIPPED.items() if k != "event_id"}).encode(), "event_id"),
        (json.dumps({**SHIPPED, "occurred_at": "yesterday"}).encode(),
         "occurred_at must be a time like 2026-11-25T14:03:00+08:00"),
        (json.dumps({**SHIPPED, "occurred_at": "2026-11-25T14:03:00"}).encode(),
         "occurred_at needs its UTC offset"),
        (json.dumps({**SHIPPED, "occurred_at": "2999-11-25T14:03:00Z"}).encode(),
         "ahead of the bot's clock: is its UTC offset right?"),
    ],
)
async def test_signed_garbage_is_a_dead_letter(
    api: TestClient[Any, Any], body: bytes, error: str
) -> None:
    response = await post(api, body, sign(SECRET, body))
    assert response.status == 400
    assert error in (await response.json())["error"]
    bot = api.app[BOT_KEY]
    [letter] = bot.store.db.query("SELECT platform, body FROM dead_letters")
    assert letter["platform"] == "orders" and letter["body"] == body


async def test_an_owner_who_cannot_be_reached_is_reported(api: TestClient[Any, Any]) -> None:
    chat = await owner_chat(api)
    bot = api.app[BOT_KEY]
    bot.store.customers.mark_unreachable("web", chat.user_id)
    body = json.dumps({**SHIPPED, "event_id": "evt-2"}).encode()
    result = await (await post(api, body, sign(SECRET, body))).json()
    assert result["notified"] == []
    [missed] = result["not_delivered"]
    assert "window" in missed["reason"]


async def test_an_order_nobody_owns_is_updated_and_says_so(api: TestClient[Any, Any]) -> None:
    body = json.dumps({"event_id": "evt-3", "order_number": "CL2611210005", "status": "paid"})
    result = await (await post(api, body.encode(), sign(SECRET, body.encode()))).json()
    assert result["order_updated"] is True and "nobody was told" in result["note"]


async def test_without_a_configured_secret_everything_is_refused(
    client: TestClient[Any, Any],
) -> None:
    body = json.dumps(SHIPPED).encode()
    response = await post(client, body, sign("", body))
    assert response.status == 401


async def send(api: TestClient[Any, Any], event: dict[str, str]) -> dict[str, Any]:
    body = json.dumps(event).encode()
    response = await post(api, body, sign(SECRET, body))
    assert response.status == 200  # a stale event too: the shop must not retry it
    return await response.json()  # type: ignore[no-any-return]


def stored(api: TestClient[Any, Any], number: str = "CL2611190002") -> dict[str, Any]:
    row = api.app[BOT_KEY].store.db.one("SELECT * FROM orders WHERE number = ?", [number])
    assert row is not None
    return dict(row)


def stale_events(api: TestClient[Any, Any]) -> list[str]:
    rows = api.app[BOT_KEY].store.db.query(
        "SELECT event_id FROM order_events WHERE stale = 1 ORDER BY event_id"
    )
    return [row["event_id"] for row in rows]


async def test_a_late_event_without_a_time_never_moves_the_status_back(
    api: TestClient[Any, Any],
) -> None:
    chat = await owner_chat(api)
    customer = api.app[BOT_KEY].store.customers.find("web", chat.user_id)
    assert customer is not None
    delivered = {"event_id": "evt-1002", "order_number": "CL2611190002", "status": "delivered"}
    assert (await send(api, delivered))["stale"] is False
    result = await send(api, SHIPPED)  # the shop's retry of an earlier event
    assert result["stale"] is True and result["order_updated"] is False
    assert result["notified"] == [] and result["not_delivered"] == []
    assert "older than the order's current status (delivered since 20" in result["note"]
    order = stored(api)
    assert order["status"] == "delivered" and order["tracking_number"] != "SF1409999999999"
    assert outbox_keys(api) == [f"notify:order-event:evt-1002:{customer.id}:0:0"]
    assert stale_events(api) == ["evt-1001"]
    replay = await send(api, SHIPPED)
    assert replay["duplicate"] is True and replay["stale"] is True
    # Another report of the same status is not older: it updates (a new tracking number).
    again = await send(api, {**delivered, "event_id": "evt-1003"})
    assert again["stale"] is False and again["order_updated"] is True


async def test_cancelled_and_refunded_are_final_without_a_time(
    api: TestClient[Any, Any],
) -> None:
    base = {"order_number": "CL2611190002"}
    assert (await send(api, {**base, "event_id": "e1", "status": "cancelled"}))["stale"] is False
    for event_id, status in (("e2", "paid"), ("e3", "shipped"), ("e4", "delivered")):
        event = {**base, "event_id": event_id, "status": status}
        if status == "shipped":
            event |= {"carrier": "顺丰速运", "tracking_number": "SF1"}
        assert (await send(api, event))["stale"] is True
    assert (await send(api, {**base, "event_id": "e5", "status": "refunded"}))["stale"] is False
    assert (await send(api, {**base, "event_id": "e6", "status": "cancelled"}))["stale"] is False
    assert stored(api)["status"] == "cancelled"
    assert stale_events(api) == ["e2", "e3", "e4"]


async def test_the_time_of_an_event_decides_when_it_has_one(
    make_config: Callable[..., Config], aiohttp_client: Callable[..., Any]
) -> None:
    config = make_config(
        env={"ORDER_EVENTS_SECRET": SECRET}, orders={"events_secret_env": "ORDER_EVENTS_SECRET"}
    )
    clock = FixedClock(datetime(2026, 11, 25, 6, 0, tzinfo=UTC))  # the sample orders' import
    api = await aiohttp_client(create_app(build_bot(config, clock=clock)))
    clock.advance(hours=2)
    base = {"order_number": "CL2611190002"}
    delivered = {**base, "event_id": "t1", "status": "delivered",
                 "occurred_at": "2026-11-25T14:05:00+08:00"}
    assert (await send(api, delivered))["stale"] is False
    assert stored(api)["status_at"] == "2026-11-25T06:05:00.000000Z"  # the shop's time, in UTC
    # Refunded ranks above delivered, but it happened before: stale.
    refunded = {**base, "event_id": "t2", "status": "refunded",
                "occurred_at": "2026-11-25T06:04:59Z"}
    assert (await send(api, refunded))["stale"] is True
    # Shipped ranks below delivered, but it happened after (a replacement): applied.
    shipped = {**SHIPPED, "event_id": "t3", "occurred_at": "2026-11-25T07:30:00Z"}
    assert (await send(api, shipped))["stale"] is False
    assert stored(api)["status"] == "shipped"
    # Without a time of its own an event is ranked against the stored status.
    assert (await send(api, {**base, "event_id": "t4", "status": "paid"}))["stale"] is True
    # A time before the import of the order (status_at = when it was imported): stale.
    other = {"order_number": "CL2611210005", "event_id": "t5", "status": "delivered",
             "occurred_at": "2026-11-25T05:59:00Z"}
    assert (await send(api, other))["stale"] is True
    assert stale_events(api) == ["t2", "t4", "t5"]


async def test_an_order_not_stored_is_ordered_by_its_earlier_events(
    api: TestClient[Any, Any],
) -> None:
    # With [orders] source = "http" orders live in the shop: the events are all we have.
    base = {"order_number": "CL2699990001"}
    first = await send(api, {**base, "event_id": "h1", "status": "delivered"})
    assert first["stale"] is False and first["order_updated"] is False
    late = await send(api, {**SHIPPED, **base, "event_id": "h2"})
    assert late["stale"] is True
    assert (await send(api, {**base, "event_id": "h3", "status": "refunded"}))["stale"] is False
    assert (await send(api, {**base, "event_id": "h4", "status": "delivered"}))["stale"] is True
    assert stale_events(api) == ["h2", "h4"]


async def test_the_same_news_under_a_new_event_id_is_not_sent_twice(
    api: TestClient[Any, Any],
) -> None:
    chat = await owner_chat(api)
    customer = api.app[BOT_KEY].store.customers.find("web", chat.user_id)
    assert customer is not None
    first = await send(api, SHIPPED)
    assert len(first["notified"]) == 1
    # The shop re-sends "shipped" with the same parcel under a fresh id: no second message.
    again = await send(api, {**SHIPPED, "event_id": "evt-1001-resent"})
    assert again["stale"] is False and again["notified"] == []
    assert "already had this status" in again["note"]
    # A new tracking number is news, though the status is the same.
    changed = await send(
        api, {**SHIPPED, "event_id": "evt-1001-new-parcel", "tracking_number": "SF1400000000001"}
    )
    assert len(changed["notified"]) == 1
    assert outbox_keys(api) == [
        f"notify:order-event:evt-1001:{customer.id}:0:0",
        f"notify:order-event:evt-1001-new-parcel:{customer.id}:0:0",
    ]
