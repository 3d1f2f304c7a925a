"""Floods through the web chat, the one door with no platform in front: 429, nothing stored.

The limits are token buckets on a clock the test moves, so the tests never sleep.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiohttp.test_utils import TestClient

from bot.app import build_bot
from bot.config import Config
from bot.server.app import create_app
from bot.server.chat.limits import LIMITS_KEY, ChatLimits
from bot.server.running import BOT_KEY
from tests.helpers.web import visit

Client = TestClient[Any, Any]


class Ticking:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def start(
    make_config: Callable[..., Config], aiohttp_client: Callable[..., Any], **web: Any
) -> tuple[Client, Ticking]:
    app = create_app(build_bot(make_config(web=web)))
    clock = Ticking()
    app[LIMITS_KEY] = ChatLimits(app[BOT_KEY].config.web, clock)
    client: Client = await aiohttp_client(app)
    return client, clock


async def test_one_visitor_pushing_hundreds_a_second_gets_429s_and_nothing_stored(
    make_config: Callable[..., Config], aiohttp_client: Callable[..., Any]
) -> None:
    client, clock = await start(make_config, aiohttp_client)
    bot = client.app[BOT_KEY]
    visitor = await visit(client)
    statuses = []
    for index in range(200):
        response = await visitor.post({"text": "多久发货", "message_id": f"flood-{index}"})
        statuses.append(response.status)
        if response.status == 429:
            body = await response.json()
            assert int(response.headers["Retry-After"]) >= 1 and body["retry_after"] >= 1
    assert statuses[:10] == [200] * 10  # the burst
    assert set(statuses[10:]) == {429}
    assert bot.store.deliveries.count() == 10  # refused messages were never taken in
    # Another visitor is not held back by the first one's flood.
    other = await visit(client)
    assert (await other.post({"text": "运费多少", "message_id": "other-1"})).status == 200
    # Two seconds later one more message a second is fine again (30 a minute).
    clock.now += 2
    assert (await visitor.post({"text": "多久发货", "message_id": "later"})).status == 200
    # A refused message sent again later is answered, once.
    clock.now += 60
    answer = await visitor.say("多久发货", message_id="flood-150")
    assert "16:00" in answer["replies"][0]["text"]


async def test_many_visitors_of_one_address_share_its_limit(
    make_config: Callable[..., Config], aiohttp_client: Callable[..., Any]
) -> None:
    client, _clock = await start(
        make_config, aiohttp_client, address_messages_per_minute=40, sessions_per_minute=1000,
        session_burst=1000,
    )
    statuses = []
    for index in range(30):
        visitor = await visit(client)
        for turn in range(2):
            response = await visitor.post({"text": "你好", "message_id": f"v{index}-{turn}"})
            statuses.append(response.status)
    assert statuses.count(200) == 10  # a quarter of a minute's worth as the burst
    assert set(statuses[10:]) == {429}


async def test_new_sessions_per_address_are_limited_renewals_are_not(
    make_config: Callable[..., Config], aiohttp_client: Callable[..., Any]
) -> None:
    client, clock = await start(make_config, aiohttp_client)
    tokens = []
    statuses = []
    for _ in range(40):
        response = await client.post("/api/chat/session", json={"mode": "token"})
        statuses.append(response.status)
        if response.status == 200:
            tokens.append((await response.json())["token"])
        else:
            assert response.headers["Retry-After"]
    assert statuses[:30] == [200] * 30 and set(statuses[30:]) == {429}
    bot = client.app[BOT_KEY]
    sessions = bot.store.db.scalar("SELECT count(*) FROM web_sessions")
    assert sessions == 30
    # A visitor who already has a session renews it whatever the address did.
    renewed = await client.post(
        "/api/chat/session", json={"mode": "token"},
        headers={"Authorization": f"Bearer {tokens[0]}"},
    )
    assert renewed.status == 200
    clock.now += 6  # ten a minute: one more after six seconds
    assert (await client.post("/api/chat/session", json={"mode": "token"})).status == 200
