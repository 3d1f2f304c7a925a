"""The generic webhook path with a signed-JSON test platform: verify, parse, record, reply."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.adapters.text import numbered
from bot.app import Bot, build_bot
from bot.config import Config
from bot.core.adapter import InboundRequest, OutboundRequest, RateLimits, Rendered, WebhookAnswer
from bot.core.clock import FixedClock
from bot.core.errors import PayloadError, SignatureError
from bot.core.http import HttpTransport
from bot.core.message import Address, Message, MessageKind, Reply
from bot.runtime.context import Context
from bot.runtime.router import Route, Router
from bot.server.app import create_app
from bot.server.running import BOT_KEY
from handlers import ROUTES
from tests.fakes.platform_api import FakePlatformApi

Client = TestClient[Any, Any]


class SignedJsonAdapter:
    """A minimal platform: header X-Sig must be 'good'; the body is a JSON list of messages."""

    name = "test"
    rate_limits = RateLimits(per_second=1000, per_chat_per_second=1000, burst=100)

    def __init__(self, base_url: str, budget: float | None) -> None:
        self.base_url = base_url
        self.reply_budget_seconds = budget

    def handshake(self, request: InboundRequest) -> WebhookAnswer:
        return WebhookAnswer(body=request.query.get("echo", ""))

    def verify(self, request: InboundRequest) -> None:
        if request.header("X-Sig") != "good":
            raise SignatureError("bad signature", 403)

    def parse(self, request: InboundRequest) -> list[Message]:
        try:
            items = json.loads(request.body)
            return [
                Message("test", str(i["id"]), str(i["user"]), str(i["user"]), MessageKind.TEXT,
                        str(i["text"]))
                for i in items
            ]
        except (ValueError, KeyError, TypeError) as error:
            raise PayloadError(f"bad body: {error}") from None

    def acknowledge(self, request: InboundRequest) -> WebhookAnswer:
        return WebhookAnswer(body="ack")

    def render(self, message: Message, replies: Sequence[Reply], *, passive: bool) -> Rendered:
        if passive:
            return Rendered(answer=WebhookAnswer(body=numbered(replies[0])))
        return Rendered(outbound=self.render_to(Address("test", message.chat_id), replies))

    def render_to(self, address: Address, replies: Sequence[Reply]) -> tuple[OutboundRequest, ...]:
        return tuple(
            OutboundRequest("test", address.chat_id, "/send",
                            {"to": address.chat_id, "text": numbered(reply)},
                            user_id=address.chat_id)
            for reply in replies
        )

    def transport(self) -> HttpTransport:
        return HttpTransport(self.base_url)

    def window_open(self, last_inbound_at: datetime | None, now: datetime) -> bool:
        return True


@pytest.fixture
async def api() -> AsyncIterator[FakePlatformApi]:
    fake = FakePlatformApi()
    await fake.start()
    yield fake
    await fake.stop()


def with_test_platform(bot: Bot, api: FakePlatformApi, budget: float | None) -> Bot:
    adapter = SignedJsonAdapter(api.url, budget)
    bot.webhooks["test"] = adapter
    bot.adapters["test"] = adapter
    bot.outgoing.adapters["test"] = adapter
    bot.outbox.transports["test"] = adapter.transport()
    bot.outbox.limiter.limits["test"] = adapter.rate_limits
    return bot


@pytest.fixture
def make_client(
    config: Config, api: FakePlatformApi, aiohttp_client: Callable[..., Any]
) -> Callable[..., Any]:
    async def make(budget: float | None = None, routes: Sequence[Route] = ROUTES) -> Client:
        bot = with_test_platform(build_bot(config), api, budget)
        bot.pipeline.router = Router(routes)
        client: Client = await aiohttp_client(create_app(bot))
        return client

    return make


def body(*items: tuple[str, str, str]) -> bytes:
    return json.dumps([{"id": i, "user": u, "text": t} for i, u, t in items]).encode()


def counts(client: Client) -> tuple[int, int, int]:
    store = client.server.app[BOT_KEY].store
    return (store.deliveries.count(), store.conversations.count(), store.dead_letters.count())


async def wait_for_sends(api: FakePlatformApi, count: int) -> None:
    for _ in range(300):
        if len(api.delivered) >= count:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"expected {count} sends, got {api.delivered}")


async def test_handshake_goes_to_the_adapter(make_client: Callable[..., Any]) -> None:
    client = await make_client()
    response = await client.get("/webhooks/test", params={"echo": "hello"})
    assert await response.text() == "hello"


async def test_bad_signature_is_403_and_stores_nothing(make_client: Callable[..., Any]) -> None:
    client = await make_client()
    response = await client.post(
        "/webhooks/test", data=body(("1", "u", "多久发货")), headers={"X-Sig": "bad"}
    )
    assert response.status == 403
    assert counts(client) == (0, 0, 0)


async def test_unparseable_body_is_400_and_kept_as_a_dead_letter(
    make_client: Callable[..., Any],
) -> None:
    client = await make_client()
    raw = b'[{"id": 1, "user": "u"'
    response = await client.post("/webhooks/test", data=raw, headers={"X-Sig": "good"})
    assert response.status == 400
    assert counts(client) == (0, 0, 1)
    [letter] = client.server.app[BOT_KEY].store.dead_letters.recent()
    assert letter["body"] == raw and letter["platform"] == "test"


async def test_fast_reply_goes_back_passively(
    make_client: Callable[..., Any], api: FakePlatformApi
) -> None:
    client = await make_client(budget=5.0)
    response = await client.post(
        "/webhooks/test", data=body(("1", "u", "多久发货")), headers={"X-Sig": "good"}
    )
    assert response.status == 200
    assert "16:00" in await response.text()
    assert api.requests == []


async def test_slow_reply_is_acknowledged_then_sent_once_through_the_outbox(
    make_client: Callable[..., Any], api: FakePlatformApi
) -> None:
    release = asyncio.Event()

    async def slow(message: Message, ctx: Context, found: Any) -> list[Reply]:
        await release.wait()
        return [Reply(text="sorry for the wait")]

    client = await make_client(budget=0.05, routes=(Route("slow", lambda m, c: True, slow),))
    response = await client.post(
        "/webhooks/test", data=body(("1", "u", "hi")), headers={"X-Sig": "good"}
    )
    assert await response.text() == "ack"
    release.set()
    await wait_for_sends(api, 1)
    await asyncio.sleep(0.1)  # give a wrong second send the chance to show up
    assert [r["json"]["text"] for r in api.delivered] == ["sorry for the wait"]


async def test_a_batch_is_handled_message_by_message(
    make_client: Callable[..., Any], api: FakePlatformApi
) -> None:
    client = await make_client()
    response = await client.post(
        "/webhooks/test",
        data=body(("1", "alice", "多久发货"), ("2", "bob", "How do I return an item?")),
        headers={"X-Sig": "good"},
    )
    assert await response.text() == "ack"
    await wait_for_sends(api, 2)
    by_user = {r["json"]["to"]: r["json"]["text"] for r in api.delivered}
    assert "16:00" in by_user["alice"] and "7 days" in by_user["bob"]


async def test_replays_and_concurrent_duplicates_are_handled_once(
    make_client: Callable[..., Any], api: FakePlatformApi
) -> None:
    client = await make_client()
    payload = body(("42", "u", "多久发货"))
    responses = await asyncio.gather(
        *(client.post("/webhooks/test", data=payload, headers={"X-Sig": "good"})
          for _ in range(3))
    )
    assert [r.status for r in responses] == [200, 200, 200]
    await wait_for_sends(api, 1)
    again = await client.post("/webhooks/test", data=payload, headers={"X-Sig": "good"})
    assert again.status == 200
    await asyncio.sleep(0.1)
    assert len(api.delivered) == 1
    assert counts(client)[:2] == (1, 2)


async def test_a_recorded_but_unhandled_message_is_handled_on_the_next_start(
    config: Config, api: FakePlatformApi
) -> None:
    clock = FixedClock(datetime(2026, 11, 23, 8, 0, tzinfo=UTC))
    first = with_test_platform(build_bot(config, clock=clock), api, None)
    message = Message("test", "7", "u", "u", MessageKind.TEXT, "多久发货")
    assert first.pipeline.record(message)  # then the process died before handling it
    first.store.close()
    clock.advance(minutes=1)
    second = with_test_platform(build_bot(config, clock=clock), api, None)
    await second.start()
    try:
        await wait_for_sends(api, 1)
    finally:
        await second.stop()
    assert "16:00" in api.delivered[0]["json"]["text"]
