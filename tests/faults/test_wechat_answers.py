"""Every WeChat message ends with its answer delivered exactly once: in the passive answer of
the push or of WeChat's retry of it, or through the customer-service API; whatever the timing.

"Delivered" counts what WeChat takes: the last HTTP answer it got for a push (earlier ones
were lost, which is why it retried) and every customer-service send it accepted.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.adapters.wechat.xml import read_fields
from bot.app import Bot, build_bot
from bot.config import Config
from bot.core.adapter import InboundRequest
from bot.core.clock import FixedClock
from bot.core.message import Message, Reply
from bot.runtime.context import Context
from bot.runtime.router import Route, Router
from bot.server.app import create_app
from bot.server.running import BOT_KEY
from tests.fakes.wechat_api import FakeWeChatApi
from tests.helpers.wechat import ACCOUNT, ENV, OPENID, platform_table, push

Client = TestClient[Any, Any]


def text_push(content: str, msg_id: str, sender: str = OPENID) -> str:
    return (
        f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>"
        f"<FromUserName><![CDATA[{sender}]]></FromUserName><CreateTime>1763862100</CreateTime>"
        f"<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{content}]]></Content>"
        f"<MsgId>{msg_id}</MsgId></xml>"
    )


def answering_after(delays: dict[str, float]) -> Route:
    """A route that answers "answer <text>" after the delay set for that text."""

    async def handle(message: Message, ctx: Context, found: object) -> list[Reply]:
        await asyncio.sleep(delays.get(message.text, 0.0))
        return [Reply(text=f"answer {message.text}")]

    return Route("timed", lambda message, ctx: True, handle)


@pytest.fixture
def start(
    make_config: Callable[..., Config], aiohttp_client: Callable[..., Awaitable[Client]],
    wechat_api: FakeWeChatApi,
) -> Callable[..., Awaitable[Client]]:
    async def run(delays: dict[str, float], budget: float, clock: Any = None) -> Client:
        config = make_config(
            platforms={"wechat": platform_table("plain", wechat_api.url,
                                                reply_budget_seconds=budget)}, env=ENV,
        )
        bot = build_bot(config, clock=clock)
        bot.pipeline.router = Router([answering_after(delays)])
        return await aiohttp_client(create_app(bot))

    return run


def passive_text(body: str) -> str | None:
    """The content of a passive answer, or None for `success`."""
    return read_fields(body.encode()).get("Content") if body.startswith("<xml>") else None


async def settled(client: Client) -> Bot:
    bot = client.app[BOT_KEY]
    await bot.ingress.drain()
    await bot.outbox.wait_idle()
    return bot


def delivered(last_answers: dict[str, str], api: FakeWeChatApi, text: str) -> int:
    passive = sum(passive_text(body) == f"answer {text}" for body in last_answers.values())
    sent = sum(send["text"]["content"] == f"answer {text}" for send in api.delivered)
    return passive + sent


async def test_answers_finishing_right_at_the_budget_are_delivered_once(
    start: Callable[..., Awaitable[Client]], wechat_api: FakeWeChatApi
) -> None:
    budget = 0.05
    rng = random.Random(7)
    texts = [f"q{index}" for index in range(24)]
    # Around the budget: some finish just before, some just after, some on the same tick.
    delays = {text: budget + rng.choice([-0.004, -0.001, 0.0, 0.0, 0.001, 0.004])
              for text in texts}
    client = await start(delays, budget)
    answers: dict[str, str] = {}
    for index, text in enumerate(texts):
        # One customer each, so that the API's per-customer rate limit does not slow the test.
        sender = f"oCustomer{index:02d}"
        query, body = push(text_push(text, str(70000 + index), sender), "plain")
        response = await client.post(
            "/webhooks/wechat", params={**query, "openid": sender}, data=body
        )
        answers[text] = await response.text()
    await settled(client)
    expected_sends = sum(passive_text(answer) is None for answer in answers.values())
    await wechat_api.wait_for_delivered(expected_sends)
    assert {text: delivered({text: answers[text]}, wechat_api, text) for text in texts} == {
        text: 1 for text in texts
    }


async def test_with_a_budget_of_zero_every_answer_goes_through_the_api_once(
    start: Callable[..., Awaitable[Client]], wechat_api: FakeWeChatApi
) -> None:
    client = await start({}, 0.0)
    answers = {}
    for index, text in enumerate(["a", "b", "c"]):
        query, body = push(text_push(text, str(71000 + index)), "plain")
        answers[text] = await (await client.post("/webhooks/wechat", params=query,
                                                 data=body)).text()
    await settled(client)
    await wechat_api.wait_for_delivered(3)
    assert set(answers.values()) == {"success"}
    assert [delivered({}, wechat_api, text) for text in "abc"] == [1, 1, 1]


async def test_a_retry_after_a_lost_answer_carries_the_answer(
    start: Callable[..., Awaitable[Client]], wechat_api: FakeWeChatApi
) -> None:
    client = await start({}, 1.0)
    query, body = push(text_push("fast", "72000"), "plain")
    lost = await (await client.post("/webhooks/wechat", params=query, data=body)).text()
    assert passive_text(lost) == "answer fast"  # ... but it never reached WeChat
    retry = await (await client.post("/webhooks/wechat", params=query, data=body)).text()
    await settled(client)
    assert delivered({"retry": retry}, wechat_api, "fast") == 1


async def test_a_retry_of_a_slow_answer_does_not_send_it_twice(
    start: Callable[..., Awaitable[Client]], wechat_api: FakeWeChatApi
) -> None:
    client = await start({"slow": 0.2}, 0.05)
    query, body = push(text_push("slow", "73000"), "plain")
    first = await (await client.post("/webhooks/wechat", params=query, data=body)).text()
    await asyncio.sleep(0.3)
    retry = await (await client.post("/webhooks/wechat", params=query, data=body)).text()
    await settled(client)
    assert (first, retry) == ("success", "success")
    assert delivered({"retry": retry}, wechat_api, "slow") == 1


def crashed_with_push(
    make_config: Callable[..., Config], wechat_api: FakeWeChatApi, text: str, msg_id: str
) -> tuple[FixedClock, dict[str, str], bytes]:
    """A process that recorded a push and was killed before answering it; 20 s later its
    lease has lapsed. The clock, and the push's query and body as WeChat would retry them."""
    clock = FixedClock(datetime.now(UTC))
    config = make_config(
        platforms={"wechat": platform_table("plain", wechat_api.url)}, env=ENV,
    )
    query, body = push(text_push(text, msg_id), "plain")
    dead = build_bot(config, clock=clock)
    [message] = dead.webhooks["wechat"].parse(
        InboundRequest("POST", "/webhooks/wechat", query, {}, body)
    )
    assert dead.pipeline.record(message)
    dead.store.close()
    clock.advance(seconds=20)
    return clock, query, body


async def test_a_push_left_by_a_crashed_process_is_answered_in_the_retry(
    make_config: Callable[..., Config], start: Callable[..., Awaitable[Client]],
    wechat_api: FakeWeChatApi,
) -> None:
    clock, query, body = crashed_with_push(make_config, wechat_api, "lost", "74000")
    client = await start({}, 1.0, clock)
    retry = await (await client.post("/webhooks/wechat", params=query, data=body)).text()
    await settled(client)
    assert delivered({"retry": retry}, wechat_api, "lost") == 1


async def test_a_push_left_by_a_crashed_process_without_a_retry_goes_through_the_api(
    make_config: Callable[..., Config], start: Callable[..., Awaitable[Client]],
    wechat_api: FakeWeChatApi,
) -> None:
    clock, _, _ = crashed_with_push(make_config, wechat_api, "orphan", "75000")
    client = await start({}, 1.0, clock)  # starting resumes it
    bot = await settled(client)
    await wechat_api.wait_for_delivered(1)
    assert delivered({}, wechat_api, "orphan") == 1
    assert bot.store.deliveries.unhandled(clock.now()) == []
