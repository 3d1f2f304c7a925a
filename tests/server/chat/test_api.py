"""POST /api/chat and GET /api/chat/history: answers, dedupe, bad input, and whose history."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from aiohttp.test_utils import TestClient

from bot.app import build_bot
from bot.config import Config
from bot.core.signing import TokenSigner
from bot.core.websession import PURPOSE
from bot.server.app import create_app
from bot.server.running import BOT_KEY
from tests.helpers.web import visit

Client = TestClient[Any, Any]


def stored(client: Client) -> dict[str, int]:
    store = client.app[BOT_KEY].store
    return {
        "deliveries": store.deliveries.count(),
        "log": store.conversations.count(),
        "customers": store.customers.count(),
    }


async def test_chat_answers_in_chinese_and_english_and_logs_both_ways(client: Client) -> None:
    visitor = await visit(client)
    zh = await visitor.say("可以退货吗？", "m1")
    en = await visitor.say("How do I return an item?", "m2")
    assert "7 天" in zh["replies"][0]["text"]
    assert "7 days" in en["replies"][0]["text"]
    assert {"id", "title"} <= set(zh["replies"][0]["buttons"][0])
    store = client.app[BOT_KEY].store
    customer = store.customers.find("web", visitor.user_id)
    assert customer is not None and customer.language == "en"
    lines = store.conversations.recent(customer.id)
    assert [(line.direction, line.text[:4]) for line in lines] == [
        ("in", "可以退货"), ("out", zh["replies"][0]["text"][:4]),
        ("in", "How "), ("out", en["replies"][0]["text"][:4]),
    ]


async def test_button_press_answers_that_faq(client: Client) -> None:
    visitor = await visit(client)
    first = await visitor.say("多久发货", "m1")
    button = first["replies"][0]["buttons"][0]
    pressed = await visitor.say(button["title"], "m2", button=button["id"])
    assert pressed["replies"][0]["text"] != first["replies"][0]["text"]


async def test_repeated_message_id_returns_the_same_replies_without_handling(
    client: Client,
) -> None:
    visitor = await visit(client)
    first = await visitor.say("多久发货", "same")
    second = await visitor.say("多久发货", "same")
    assert first == second
    assert stored(client) == {"deliveries": 1, "log": 2, "customers": 1}


async def test_concurrent_duplicates_are_handled_once(client: Client) -> None:
    visitor = await visit(client)
    answers = await asyncio.gather(*(visitor.say("运费多少", "dup") for _ in range(10)))
    assert all(answer == answers[0] for answer in answers)
    assert answers[0]["replies"]
    assert stored(client) == {"deliveries": 1, "log": 2, "customers": 1}


async def test_bad_input_gets_a_clear_4xx_and_stores_nothing(client: Client) -> None:
    visitor = await visit(client)
    cases: list[tuple[bytes, int, str]] = [
        (b"not json", 400, "JSON"),
        (b"[1, 2]", 400, "object"),
        (json.dumps({"text": "hi"}).encode(), 400, "message_id"),
        (json.dumps({"message_id": "m", "text": 5}).encode(), 400, "text"),
        (json.dumps({"message_id": "m", "text": "  "}).encode(), 400, "text"),
        (json.dumps({"message_id": "m" * 200, "text": "x"}).encode(), 400, "message_id"),
        (json.dumps({"message_id": "m", "text": "x" * 5000}).encode(), 400, "text"),
        (json.dumps({"message_id": "m", "text": "x" * 1_000_000}).encode(), 413, "bytes"),
        (json.dumps({"message_id": "m", "button": "b", "image": "i"}).encode(), 400, "both"),
        (json.dumps({"message_id": "m", "image": "not-an-upload"}).encode(), 400, "photo"),
        (json.dumps({"user_id": "someone-else", "message_id": "m", "text": "x"}).encode(), 403,
         "user_id"),
        (b"\xff\xfe\x00garbage", 400, "JSON"),
        (b'{"message_id": "m", "text": "\\ud800"}', 400, "Unicode"),
        (b'{"message_id": "\\udfff", "text": "hi"}', 400, "Unicode"),
    ]
    for body, status, word in cases:
        response = await client.post(
            "/api/chat", data=body,
            headers={"Content-Type": "application/json", **visitor.headers},
        )
        assert response.status == status, (body[:40], await response.text())
        error = (await response.json())["error"]
        assert word in error, error
    assert stored(client) == {"deliveries": 0, "log": 0, "customers": 0}


async def test_without_a_valid_session_nothing_is_handled(client: Client) -> None:
    bot = client.app[BOT_KEY]
    now = bot.clock.now()
    visitor = await visit(client)
    other_key = TokenSigner(b"another server's secret, 32 bytes!")
    tokens = {
        "none": None,
        "garbage": "not-a-token",
        "forged with another key": other_key.sign(PURPOSE, visitor.user_id, now),
        "altered visitor": visitor.token.replace(visitor.user_id, "v" + "A" * 22),
        "expired": bot.signer.sign(PURPOSE, visitor.user_id, now - timedelta(days=181)),
        "other purpose": bot.signer.sign("staff-session", visitor.user_id, now),
    }
    for name, token in tokens.items():
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        body = {"text": "多久发货", "message_id": name}
        response = await client.post("/api/chat", json=body, headers=headers)
        assert response.status == 401, name
        assert "POST /api/chat/session" in (await response.json())["error"]
        history = await client.get("/api/chat/history", headers=headers)
        assert history.status == 401, name
    assert stored(client) == {"deliveries": 0, "log": 0, "customers": 0}


async def test_history_is_the_callers_own_and_a_forged_user_id_gets_nothing(
    client: Client,
) -> None:
    alice = await visit(client)
    bob = await visit(client)
    await alice.say("CL2611190002", "a1")
    await alice.say("4321", "a2")  # her order, with its details, is now in her transcript
    await bob.say("多久发货", "b1")
    mine = await alice.history()
    assert [line["direction"] for line in mine] == ["in", "out", "in", "out"]
    assert "CL2611190002" in mine[0]["text"]
    theirs = await bob.history()
    assert theirs[0]["text"] == "多久发货"
    assert not any("CL2611190002" in line["text"] for line in theirs)
    # Bob names Alice's id: refused, not answered with her transcript (nor his own).
    forged = await client.get(
        "/api/chat/history", params={"user_id": alice.user_id}, headers=bob.headers
    )
    assert forged.status == 403
    assert "CL2611190002" not in await forged.text()
    own = await client.get(
        "/api/chat/history", params={"user_id": bob.user_id}, headers=bob.headers
    )
    assert own.status == 200
    after = await alice.history(after=mine[1]["id"])
    assert [line["id"] for line in after] == [mine[2]["id"], mine[3]["id"]]
    for value in ("x", "-1", str(2**70)):
        bad = await client.get("/api/chat/history", params={"after": value}, headers=bob.headers)
        assert bad.status == 400


async def test_the_page_gets_an_httponly_samesite_cookie_that_identifies_it(
    client: Client,
) -> None:
    response = await client.post("/api/chat/session")
    assert response.status == 200
    cookie = response.headers["Set-Cookie"]
    assert "brandbot_chat=" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # plain HTTP: a Secure cookie would never come back
    data = await response.json()
    assert "token" not in data  # script on the page never sees the cookie's value
    answer = await client.post("/api/chat", json={"text": "多久发货", "message_id": "c1"})
    assert answer.status == 200  # the test client sends the cookie back, as a browser does
    bot = client.app[BOT_KEY]
    customer = bot.store.customers.find("web", data["user_id"])
    assert customer is not None
    renewed = await (await client.post("/api/chat/session")).json()
    assert renewed["user_id"] == data["user_id"]
    session = bot.store.web.session(data["user_id"])
    assert session is not None and session.address == "127.0.0.1" and session.mode == "cookie"


async def test_a_token_session_is_renewed_for_the_same_visitor(client: Client) -> None:
    visitor = await visit(client)
    again = await client.post(
        "/api/chat/session", json={"mode": "token"}, headers=visitor.headers
    )
    data = await again.json()
    assert data["user_id"] == visitor.user_id and data["token"]
    bot = client.app[BOT_KEY]
    since = bot.clock.now() - timedelta(hours=1)
    assert bot.store.web.sessions_from("127.0.0.1", since) == 1
    await visit(client)
    assert bot.store.web.sessions_from("127.0.0.1", since) == 2
    for body in (b"[", b'{"mode": "third-party-cookie"}', b"x" * 5000):
        bad = await client.post("/api/chat/session", data=body)
        assert bad.status == 400


async def test_a_session_outlives_a_restart_and_a_configured_secret_wins(
    client: Client, make_config: Callable[..., Config], aiohttp_client: Callable[..., Any]
) -> None:
    visitor = await visit(client)
    await visitor.say("多久发货", "r1")
    config = client.app[BOT_KEY].config
    # A second process on the same store agrees on the generated secret.
    again = await aiohttp_client(create_app(build_bot(config)))
    history = await again.get("/api/chat/history", headers=visitor.headers)
    assert history.status == 200 and len((await history.json())["messages"]) == 2
    # A secret from the environment replaces the generated one: old tokens end.
    configured = make_config(
        env={"CHAT_SECRET": "s" * 40}, web={"session_secret_env": "CHAT_SECRET"}
    )
    other = await aiohttp_client(create_app(build_bot(configured)))
    refused = await other.get("/api/chat/history", headers=visitor.headers)
    assert refused.status == 401
