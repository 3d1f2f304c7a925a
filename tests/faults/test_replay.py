"""WeChat signatures cannot be replayed: old ones are refused, and a nonce once used may come
again only with the very same body (WeChat retrying), in plain and compatible mode alike."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.app import Bot, build_bot
from bot.config import Config
from bot.server.app import create_app
from bot.server.running import BOT_KEY
from tests.fakes.wechat_api import FakeWeChatApi
from tests.helpers.wechat import (
    ACCOUNT,
    ENV,
    OPENID,
    TOKEN,
    platform_table,
    push,
    sha1,
)

Client = TestClient[Any, Any]
VICTIM = "oVictim0123456789abcdefghij"


def text_push(sender: str, content: str, msg_id: str) -> str:
    return (
        f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>"
        f"<FromUserName><![CDATA[{sender}]]></FromUserName><CreateTime>1763862100</CreateTime>"
        f"<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{content}]]></Content>"
        f"<MsgId>{msg_id}</MsgId></xml>"
    )


@pytest.fixture
def start(
    make_config: Callable[..., Config], aiohttp_client: Callable[..., Awaitable[Client]],
    wechat_api: FakeWeChatApi,
) -> Callable[..., Awaitable[Client]]:
    async def run(mode: str, **table: Any) -> Client:
        config = make_config(
            platforms={"wechat": platform_table(mode, wechat_api.url, **table)}, env=ENV
        )
        return await aiohttp_client(create_app(build_bot(config)))

    return run


def bot_of(client: Client) -> Bot:
    return client.app[BOT_KEY]


@pytest.mark.parametrize("mode", ["plain", "compatible"])
async def test_a_captured_signature_with_another_body_is_refused(
    start: Callable[..., Awaitable[Client]], mode: str
) -> None:
    client = await start(mode)
    query, body = push(text_push(OPENID, "多久发货", "900001"), "plain")
    assert (await client.post("/webhooks/wechat", params=query, data=body)).status == 200
    # Someone who saw that query string forges a push as another customer with it.
    forged = text_push(VICTIM, "我的订单", "900002")
    answer = await client.post("/webhooks/wechat", params={**query, "openid": VICTIM},
                               data=forged.encode())
    assert answer.status == 403
    also = await client.post("/webhooks/wechat", params=query, data=forged.encode())
    assert also.status == 403
    bot = bot_of(client)
    assert bot.store.customers.find("wechat", VICTIM) is None
    assert bot.store.deliveries.count() == 1


async def test_the_same_push_again_is_a_retry_not_a_second_message(
    start: Callable[..., Awaitable[Client]]
) -> None:
    client = await start("plain")
    query, body = push(text_push(OPENID, "多久发货", "900011"), "plain")
    first = await client.post("/webhooks/wechat", params=query, data=body)
    again = await client.post("/webhooks/wechat", params=query, data=body)
    assert (first.status, again.status) == (200, 200)
    assert bot_of(client).store.deliveries.count() == 1


@pytest.mark.parametrize("age", [600, -600, 3600 * 24 * 365])
async def test_a_signature_from_outside_the_window_is_refused(
    start: Callable[..., Awaitable[Client]], age: int
) -> None:
    client = await start("plain")
    timestamp = str(int(time.time()) - age)
    query, body = push(text_push(OPENID, "多久发货", "900021"), "plain", timestamp=timestamp)
    answer = await client.post("/webhooks/wechat", params=query, data=body)
    assert answer.status == 403
    assert bot_of(client).store.deliveries.count() == 0
    handshake = {"signature": sha1(TOKEN, timestamp, "7"), "timestamp": timestamp,
                 "nonce": "7", "echostr": "hello"}
    assert (await client.get("/webhooks/wechat", params=handshake)).status == 403


async def test_the_signed_openid_must_be_the_sender(
    start: Callable[..., Awaitable[Client]]
) -> None:
    client = await start("plain")
    query, body = push(text_push(VICTIM, "我的订单", "900031"), "plain")
    answer = await client.post("/webhooks/wechat", params=query, data=body)  # openid = OPENID
    assert answer.status == 403
    assert bot_of(client).store.deliveries.count() == 0


async def test_only_wechat_addresses_when_an_allowlist_is_set(
    start: Callable[..., Awaitable[Client]]
) -> None:
    client = await start("plain", allowed_ips=["101.226.0.0/16"])
    query, body = push(text_push(OPENID, "多久发货", "900041"), "plain")
    answer = await client.post("/webhooks/wechat", params=query, data=body)  # from 127.0.0.1
    assert answer.status == 403
    open_client = await start("plain", allowed_ips=["127.0.0.1"])
    query, body = push(text_push(OPENID, "多久发货", "900042"), "plain")
    assert (await open_client.post("/webhooks/wechat", params=query, data=body)).status == 200
