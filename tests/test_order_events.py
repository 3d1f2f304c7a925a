"""POST /api/orders/events: signed status changes update the order and tell its owner once."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.app import build_bot
from bot.config import Config
from bot.orders_api import SIGNATURE_HEADER, sign
from bot.server import BOT_KEY, create_app
from tests.helpers.chat import Chat

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
    history = await (await api.get(f"/api/chat/history?user_id={chat.user_id}")).json()
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
