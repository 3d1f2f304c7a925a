"""The HTTP app: /api/chat conversations, dedupe, bad input, /healthz, the web chat page."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.server.running import BOT_KEY

Client = TestClient[Any, Any]


def stored(client: Client) -> dict[str, int]:
    store = client.app[BOT_KEY].store
    return {
        "deliveries": store.deliveries.count(),
        "log": store.conversations.count(),
        "customers": store.customers.count(),
    }


async def say(client: Client, text: str, message_id: str, user_id: str = "u1") -> Any:
    response = await client.post(
        "/api/chat",
        json={"user_id": user_id, "text": text, "button": None, "message_id": message_id},
    )
    assert response.status == 200, await response.text()
    return await response.json()


async def test_chat_answers_in_chinese_and_english_and_logs_both_ways(client: Client) -> None:
    zh = await say(client, "可以退货吗？", "m1")
    en = await say(client, "How do I return an item?", "m2")
    assert "7 天" in zh["replies"][0]["text"]
    assert "7 days" in en["replies"][0]["text"]
    assert {"id", "title"} <= set(zh["replies"][0]["buttons"][0])
    store = client.app[BOT_KEY].store
    customer = store.customers.find("web", "u1")
    assert customer is not None and customer.language == "en"
    lines = store.conversations.recent(customer.id)
    assert [(line.direction, line.text[:4]) for line in lines] == [
        ("in", "可以退货"), ("out", zh["replies"][0]["text"][:4]),
        ("in", "How "), ("out", en["replies"][0]["text"][:4]),
    ]


async def test_button_press_answers_that_faq(client: Client) -> None:
    first = await say(client, "多久发货", "m1")
    button = first["replies"][0]["buttons"][0]
    response = await client.post(
        "/api/chat",
        json={"user_id": "u1", "text": button["title"], "button": button["id"],
              "message_id": "m2"},
    )
    pressed = await response.json()
    assert pressed["replies"][0]["text"] != first["replies"][0]["text"]


async def test_repeated_message_id_returns_the_same_replies_without_handling(
    client: Client,
) -> None:
    first = await say(client, "多久发货", "same")
    second = await say(client, "多久发货", "same")
    assert first == second
    assert stored(client) == {"deliveries": 1, "log": 2, "customers": 1}


async def test_concurrent_duplicates_are_handled_once(client: Client) -> None:
    answers = await asyncio.gather(*(say(client, "运费多少", "dup") for _ in range(10)))
    assert all(answer == answers[0] for answer in answers)
    assert answers[0]["replies"]
    assert stored(client) == {"deliveries": 1, "log": 2, "customers": 1}


async def test_bad_input_gets_a_clear_4xx_and_stores_nothing(client: Client) -> None:
    cases: list[tuple[bytes, int, str]] = [
        (b"not json", 400, "JSON"),
        (b"[1, 2]", 400, "object"),
        (json.dumps({"text": "hi", "message_id": "m"}).encode(), 400, "user_id"),
        (json.dumps({"user_id": "u", "text": "hi"}).encode(), 400, "message_id"),
        (json.dumps({"user_id": "u", "message_id": "m", "text": 5}).encode(), 400, "text"),
        (json.dumps({"user_id": "u", "message_id": "m", "text": "  "}).encode(), 400, "text"),
        (json.dumps({"user_id": "u" * 200, "message_id": "m", "text": "x"}).encode(), 400,
         "user_id"),
        (json.dumps({"user_id": "u", "message_id": "m", "text": "x" * 5000}).encode(), 400,
         "text"),
        (json.dumps({"user_id": "u", "message_id": "m", "text": "x" * 1_000_000}).encode(), 413,
         "bytes"),
        (b"\xff\xfe\x00garbage", 400, "JSON"),
        (b'{"user_id": "u", "message_id": "m", "text": "\\ud800"}', 400, "Unicode"),
        (b'{"user_id": "\\udfff", "message_id": "m", "text": "hi"}', 400, "Unicode"),
    ]
    for body, status, word in cases:
        response = await client.post(
            "/api/chat", data=body, headers={"Content-Type": "application/json"}
        )
        assert response.status == status, (body[:40], await response.text())
        error = (await response.json())["error"]
        assert word in error, error
    assert stored(client) == {"deliveries": 0, "log": 0, "customers": 0}


async def test_healthz_reports_the_store(client: Client) -> None:
    response = await client.get("/healthz")
    assert response.status == 200
    data = await response.json()
    assert data["status"] == "ok" and data["store"] is True and data["schema_version"] >= 1


async def test_healthz_is_503_when_the_store_fails(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object) -> None:
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(client.app[BOT_KEY].store.db, "scalar", broken)
    response = await client.get("/healthz")
    assert response.status == 503
    assert (await response.json())["store"] is False


async def test_web_chat_page_names_the_brand(client: Client) -> None:
    response = await client.get("/")
    assert response.status == 200
    page = await response.text()
    assert "Cloud Leaf Tea" in page and "/api/chat" in page


async def test_history_returns_the_conversation(client: Client) -> None:
    await say(client, "多久发货", "m1")
    response = await client.get("/api/chat/history", params={"user_id": "u1"})
    messages = (await response.json())["messages"]
    assert [m["direction"] for m in messages] == ["in", "out"]
    for after in ("x", "-1", str(2**70)):
        bad = await client.get("/api/chat/history", params={"user_id": "u1", "after": after})
        assert bad.status == 400


async def test_unknown_platform_webhook_is_404(client: Client) -> None:
    response = await client.post("/webhooks/nowhere", data=b"{}")
    assert response.status == 404
