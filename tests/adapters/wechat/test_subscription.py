"""A WeChat account without the customer-service API (订阅号): a slow answer goes in the passive
answer of WeChat's own retry, or with the answer to the customer's next message; never through
the API. An account set up as a service account learns it from 48001 and re-routes.

The tests play WeChat: they POST a push, and POST it again as WeChat's retry would.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.adapters.wechat.adapter import WeChatAdapter
from bot.adapters.wechat.xml import read_fields
from bot.app import Bot, build_bot
from bot.config import Config
from bot.core.message import Message, Reply
from bot.runtime.context import Context
from bot.runtime.router import Route, Router
from bot.server.app import create_app
from bot.server.running import BOT_KEY
from tests.fakes.wechat_api import FakeWeChatApi
from tests.helpers.wechat import ENV, platform_table, push, text_push

Client = TestClient[Any, Any]
BUDGET = 0.05
DEADLINE = 0.4  # WeChat's 5 s, shortened: how long it waits for an answer before retrying


def answering_after(delays: dict[str, float], texts: dict[str, str] | None = None) -> Route:
    """A route answering "answer <text>" (or the text given) after the delay set for it."""

    async def handle(message: Message, ctx: Context, found: object) -> list[Reply]:
        await asyncio.sleep(delays.get(message.text, 0.0))
        return [Reply(text=(texts or {}).get(message.text, f"answer {message.text}"))]

    return Route("timed", lambda message, ctx: True, handle)


@pytest.fixture
def start(
    make_config: Callable[..., Config], aiohttp_client: Callable[..., Awaitable[Client]],
    wechat_api: FakeWeChatApi,
) -> Callable[..., Awaitable[Client]]:
    async def run(
        delays: dict[str, float], account: str = "subscription",
        texts: dict[str, str] | None = None,
    ) -> Client:
        table = platform_table("plain", wechat_api.url, reply_budget_seconds=BUDGET,
                               account=account)
        bot = build_bot(make_config(platforms={"wechat": table}, env=ENV))
        bot.pipeline.router = Router([answering_after(delays, texts)])
        adapter = bot.webhooks["wechat"]
        assert isinstance(adapter, WeChatAdapter)
        adapter.answer_deadline_seconds = DEADLINE
        return await aiohttp_client(create_app(bot))

    return run


async def deliver(client: Client, query: dict[str, str], body: bytes) -> tuple[str, float]:
    """One delivery of a push: the answer and how long it took."""
    started = time.monotonic()
    response = await client.post("/webhooks/wechat", params=query, data=body)
    return await response.text(), time.monotonic() - started


def passive_text(body: str) -> str | None:
    """The content of a passive answer, or None for `success`."""
    return read_fields(body.encode()).get("Content") if body.startswith("<xml>") else None


def bot_of(client: Client) -> Bot:
    return client.app[BOT_KEY]


async def test_a_slow_answer_arrives_in_the_answer_to_wechats_retry(
    start: Callable[..., Awaitable[Client]], wechat_api: FakeWeChatApi
) -> None:
    client = await start({"slow": DEADLINE + 0.2})
    query, body = push(text_push("slow", "81000"), "plain")
    first, waited = await deliver(client, query, body)
    # Not answered before WeChat's deadline: "success" would stop the retry that carries it.
    assert passive_text(first) is None
    assert waited >= DEADLINE - 0.01
    retry, _ = await deliver(client, query, body)
    assert passive_text(retry) == "answer slow"
    bot = bot_of(client)
    await bot.ingress.drain()
    assert wechat_api.attempts == []  # never the customer-service API
    assert bot.store.held.count_waiting() == 0


async def test_a_lost_retry_answer_is_given_again_to_the_next_retry(
    start: Callable[..., Awaitable[Client]], wechat_api: FakeWeChatApi
) -> None:
    client = await start({"slow": DEADLINE + 0.1})
    query, body = push(text_push("slow", "81100"), "plain")
    await deliver(client, query, body)
    second, _ = await deliver(client, query, body)
    third, _ = await deliver(client, query, body)  # the second answer never reached WeChat
    assert passive_text(second) == passive_text(third) == "answer slow"
    # ... and the customer's next message does not get it a second time.
    next_query, next_body = push(text_push("thanks", "81101"), "plain")
    after, _ = await deliver(client, next_query, next_body)
    assert passive_text(after) == "answer thanks"


async def test_after_all_three_deliveries_the_answer_comes_with_the_next_message(
    start: Callable[..., Awaitable[Client]], wechat_api: FakeWeChatApi
) -> None:
    client = await start({"slow": 3 * DEADLINE + 0.3})
    query, body = push(text_push("slow", "82000"), "plain")
    answers = [await deliver(client, query, body) for _ in range(3)]
    assert [passive_text(text) for text, _ in answers] == [None, None, None]
    # The third is WeChat's last: answered at once, so it shows no error to the customer.
    assert answers[2] == ("success", pytest.approx(BUDGET, abs=0.2))
    bot = bot_of(client)
    await bot.ingress.drain()
    assert bot.store.held.count_waiting("wechat") == 1
    next_query, next_body = push(text_push("在吗", "82001"), "plain")
    later, _ = await deliver(client, next_query, next_body)
    assert passive_text(later) == (
        "这是你上一个问题的答案：\nanswer slow\n\nanswer 在吗"
    )
    assert bot.store.held.count_waiting() == 0
    # A retry of that next message gets the same combined answer (its first was lost).
    again, _ = await deliver(client, next_query, next_body)
    assert passive_text(again) == passive_text(later)
    assert wechat_api.attempts == []


async def test_a_held_answer_survives_a_restart_before_the_retry(
    make_config: Callable[..., Config], start: Callable[..., Awaitable[Client]],
    wechat_api: FakeWeChatApi,
) -> None:
    first_process = await start({"slow": DEADLINE + 0.05})
    query, body = push(text_push("slow", "83000"), "plain")
    await deliver(first_process, query, body)
    old = bot_of(first_process)
    await old.ingress.drain()
    assert old.store.held.count_waiting() == 1  # durable before the process goes
    await first_process.close()
    second_process = await start({})
    retry, _ = await deliver(second_process, query, body)
    assert passive_text(retry) == "answer slow"


async def test_a_service_account_refused_with_48001_holds_and_reroutes_its_sends(
    start: Callable[..., Awaitable[Client]], wechat_api: FakeWeChatApi
) -> None:
    wechat_api.refuse_customer_service = True
    client = await start({"slow": 0.2}, account="service")
    bot = bot_of(client)
    query, body = push(text_push("slow", "84000"), "plain")
    first, _ = await deliver(client, query, body)
    assert first == "success"  # a service account: the API was expected to send it
    await bot.ingress.drain()
    await wechat_api.wait_for_attempts(1)
    await bot.outbox.wait_idle()
    [row] = bot.store.outbox.list()
    assert row.status == "undeliverable" and "kept for the next message" in row.last_error
    assert "48001" in row.last_error
    adapter = bot.webhooks["wechat"]
    assert isinstance(adapter, WeChatAdapter) and adapter.holds_replies()  # remembered
    next_query, next_body = push(text_push("谢谢", "84001"), "plain")
    later, _ = await deliver(client, next_query, next_body)
    assert passive_text(later) == "之前没能及时送达的消息：\nanswer slow\n\nanswer 谢谢"
    # From now on a slow answer waits for WeChat's retry instead of the API.
    slow_query, slow_body = push(text_push("slow", "84002"), "plain")
    await deliver(client, slow_query, slow_body)
    retry, _ = await deliver(client, slow_query, slow_body)
    assert passive_text(retry) == "answer slow"
    assert len(wechat_api.attempts) == 1


async def test_what_does_not_fit_one_passive_answer_comes_with_the_next_one(
    start: Callable[..., Awaitable[Client]], wechat_api: FakeWeChatApi
) -> None:
    long_answer = "\n".join(f"第{index}行：茶叶的冲泡温度与时间说明。" for index in range(50))
    client = await start({}, texts={"long": long_answer})
    query, body = push(text_push("long", "85000"), "plain")
    first, _ = await deliver(client, query, body)
    shown = passive_text(first)
    assert shown is not None and shown.endswith("（未完，回复任意内容查看后续）")
    assert len(shown.encode()) <= 2048
    next_query, next_body = push(text_push("好的", "85001"), "plain")
    later = passive_text((await deliver(client, next_query, next_body))[0])
    assert later is not None and later.startswith("接上一条：\n")
    given = shown.removesuffix("\n（未完，回复任意内容查看后续）") + "\n" + later.removeprefix(
        "接上一条：\n").removesuffix("\n\nanswer 好的")
    assert given == long_answer
