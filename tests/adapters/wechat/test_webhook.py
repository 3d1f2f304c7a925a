"""WeChat end to end: /webhooks/wechat with a fake WeChat API on 127.0.0.1."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.adapters.wechat.xml import read_fields
from bot.app import Bot, build_bot
from bot.config import Config
from bot.core.message import Address, Message, MessageKind, Reply
from bot.runtime.router import Route, Router
from bot.server.app import create_app
from bot.server.running import BOT_KEY
from tests.fakes.wechat_api import FakeWeChatApi
from tests.helpers.wechat import (
    ACCOUNT,
    APP_ID,
    ENV,
    OPENID,
    TOKEN,
    decrypt_reply,
    fixture,
    platform_table,
    push,
    sha1,
)

Client = TestClient[Any, Any]


@pytest.fixture
def start_client(
    make_config: Callable[..., Config], aiohttp_client: Callable[..., Awaitable[Client]],
    wechat_api: FakeWeChatApi,
) -> Callable[..., Awaitable[Client]]:
    """Start the whole app with WeChat enabled in `mode`, pointed at the fake API."""

    async def start(mode: str = "safe", **table: Any) -> Client:
        config = make_config(
            platforms={"wechat": platform_table(mode, wechat_api.url, **table)}, env=ENV
        )
        return await aiohttp_client(create_app(build_bot(config)))

    return start


def bot_of(client: Client) -> Bot:
    return client.app[BOT_KEY]


def text_push(content: str, msg_id: str, created: int = 1763862100) -> str:
    return (
        f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>"
        f"<FromUserName><![CDATA[{OPENID}]]></FromUserName><CreateTime>{created}</CreateTime>"
        f"<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{content}]]></Content>"
        f"<MsgId>{msg_id}</MsgId></xml>"
    )


async def post(client: Client, xml: str, mode: str) -> tuple[int, str]:
    query, body = push(xml, mode)
    response = await client.post("/webhooks/wechat", params=query, data=body)
    return response.status, await response.text()


def reply_content(body: str, mode: str) -> dict[str, str]:
    """The fields of a passive reply, decrypted in safe mode."""
    if mode == "plain":
        return read_fields(body.encode())
    envelope = read_fields(body.encode())
    xml = decrypt_reply(body, envelope["TimeStamp"], envelope["Nonce"], envelope["MsgSignature"])
    return read_fields(xml.encode())


def counts(bot: Bot) -> dict[str, int]:
    return {
        table: int(bot.store.db.scalar(f"SELECT count(*) FROM {table}"))
        for table in ("deliveries", "conversation_log", "outbox", "identities", "dead_letters")
    }


async def test_get_handshake_echoes_or_refuses(start_client: Callable[..., Any]) -> None:
    client = await start_client()
    timestamp = str(int(time.time()))
    query = {"signature": sha1(TOKEN, timestamp, "9"), "timestamp": timestamp,
             "nonce": "9", "echostr": "echo-7355608"}
    good = await client.get("/webhooks/wechat", params=query)
    assert (good.status, await good.text()) == (200, "echo-7355608")
    bad = await client.get("/webhooks/wechat", params={**query, "nonce": "10"})
    assert bad.status == 403 and "echo-7355608" not in await bad.text()


@pytest.mark.parametrize("mode", ["plain", "compatible", "safe"])
async def test_passive_reply_then_a_numbered_choice(
    start_client: Callable[..., Any], wechat_api: FakeWeChatApi, mode: str
) -> None:
    client = await start_client(mode)
    status, body = await post(client, text_push("多久发货", "50001"), mode)
    assert status == 200
    first = reply_content(body, mode)
    assert (first["ToUserName"], first["FromUserName"], first["MsgType"]) == (
        OPENID, ACCOUNT, "text")
    assert first["Content"].startswith("每天 16:00 前付款的订单当天发货")
    assert "\n1. 几天能到\n2. 运费多少" in first["Content"]
    # The customer answers with a number: it is the button under the last reply.
    status, body = await post(client, text_push("1", "50002", 1763862101), mode)
    assert status == 200
    second = reply_content(body, mode)["Content"]
    assert second != first["Content"] and "1. 几天能到" not in second
    bot = bot_of(client)
    await bot.outbox.wait_idle()
    assert wechat_api.attempts == [] and wechat_api.token_requests == 0
    logged = bot.store.db.query("SELECT direction FROM conversation_log ORDER BY id")
    assert [row["direction"] for row in logged] == ["in", "out", "in", "out"]


def slow_route(release: asyncio.Event) -> Route:
    """A route that answers 'slow' only once `release` is set."""

    def match(message: Message, ctx: Any) -> bool | None:
        return True if message.text == "slow" else None

    async def handle(message: Message, ctx: Any, found: bool) -> list[Reply]:
        await release.wait()
        return [Reply("慢慢来的回答", buttons=())]

    return Route("slow", match, handle)


async def start_slow(start_client: Callable[..., Any], mode: str = "safe") -> tuple[
        Client, asyncio.Event]:
    client = await start_client(mode, reply_budget_seconds=0.05)
    release = asyncio.Event()
    bot = bot_of(client)
    bot.pipeline.router = Router([slow_route(release), *bot.pipeline.router.routes])
    return client, release


async def post_slowly(client: Client, release: asyncio.Event, xml: str) -> None:
    """Post a 'slow' push: WeChat gets `success` at once, the reply is released afterwards."""
    assert await post(client, xml, "safe") == (200, "success")
    release.set()


async def test_slow_handler_answers_success_then_one_customer_service_send(
    start_client: Callable[..., Any], wechat_api: FakeWeChatApi
) -> None:
    client, release = await start_slow(start_client)
    status, body = await post(client, text_push("slow", "50010"), "safe")
    assert (status, body) == (200, "success")
    release.set()
    await wechat_api.wait_for_delivered(1)
    bot = bot_of(client)
    await bot.outbox.wait_idle()
    assert wechat_api.delivered == [
        {"touser": OPENID, "msgtype": "text", "text": {"content": "慢慢来的回答"}}
    ]
    attempt = wechat_api.attempts[0]
    assert attempt.access_token == "token-1" and "charset=utf-8" in attempt.content_type
    assert bot.store.outbox.counts() == {"sent": 1}
    # The token is kept in the store: a second send does not fetch another.
    release.clear()
    assert await post(client, text_push("slow", "50011", 1763862200), "safe") == (200, "success")
    release.set()
    await wechat_api.wait_for_delivered(2)
    assert wechat_api.token_requests == 1


async def test_expired_token_is_refreshed_once_and_the_send_succeeds(
    start_client: Callable[..., Any], wechat_api: FakeWeChatApi
) -> None:
    client, release = await start_slow(start_client)
    bot = bot_of(client)
    now = bot.clock.now()
    # A token some process cached earlier, which WeChat has since expired.
    from datetime import timedelta

    bot.store.kv.set(f"wechat:access_token:{APP_ID}", "token-old", now,
                     expires_at=now + timedelta(hours=1))
    wechat_api.valid_tokens.add("token-old")
    wechat_api.expired_tokens.add("token-old")
    await post_slowly(client, release, text_push("slow", "50020"))
    await wechat_api.wait_for_delivered(1)
    await bot.outbox.wait_idle()
    assert [attempt.access_token for attempt in wechat_api.attempts] == ["token-old", "token-1"]
    assert wechat_api.attempts[0].answer["errcode"] == 42001  # type: ignore[index]
    assert wechat_api.token_requests == 1
    assert bot.store.outbox.counts() == {"sent": 1}
    assert bot.store.kv.get(f"wechat:access_token:{APP_ID}") == "token-1"


@pytest.mark.parametrize("mode", ["plain", "safe"])
async def test_replays_are_handled_once(
    start_client: Callable[..., Any], wechat_api: FakeWeChatApi, mode: str
) -> None:
    client = await start_client(mode)
    xml = text_push("多久发货", "50030")
    answers = [await post(client, xml, mode) for _ in range(3)]
    assert [status for status, _ in answers] == [200, 200, 200]
    assert answers[0][1].startswith("<xml>")
    # WeChat retries only when our answer did not reach it: each retry carries it again.
    assert all(body.startswith("<xml>") for _, body in answers[1:])
    bot = bot_of(client)
    await bot.outbox.wait_idle()
    assert counts(bot)["deliveries"] == 1 and counts(bot)["conversation_log"] == 2
    assert wechat_api.attempts == []


async def test_concurrent_replays_are_handled_once(
    start_client: Callable[..., Any], wechat_api: FakeWeChatApi
) -> None:
    client = await start_client("safe")
    xml = text_push("运费多少", "50040")
    answers = await asyncio.gather(*(post(client, xml, "safe") for _ in range(3)))
    assert sorted(status for status, _ in answers) == [200, 200, 200]
    # Handled once; whichever copy WeChat is still waiting for carries the same answer.
    contents = {reply_content(body, "safe")["Content"] for _, body in answers}
    assert len(contents) == 1 and contents.pop()
    bot = bot_of(client)
    await bot.outbox.wait_idle()
    assert counts(bot)["deliveries"] == 1
    rows = list(bot.store.db.query("SELECT direction FROM conversation_log"))
    assert [row["direction"] for row in rows] == ["in", "out"]
    assert wechat_api.attempts == []


async def test_a_follow_with_a_scene_is_welcomed_passively(
    start_client: Callable[..., Any]
) -> None:
    client = await start_client("safe")
    status, body = await post(client, fixture("subscribe_scene"), "safe")
    assert status == 200 and "欢迎" in reply_content(body, "safe")["Content"]
    bot = bot_of(client)
    row = bot.store.db.one("SELECT kind, payload FROM conversation_log WHERE direction = 'in'")
    assert row == {"kind": "event", "payload": "ref_ABC"}


async def test_unknown_type_gets_a_polite_answer(start_client: Callable[..., Any]) -> None:
    client = await start_client("plain")
    status, body = await post(client, fixture("unknown_type"), "plain")
    assert status == 200
    assert read_fields(body.encode())["Content"].startswith("目前我只能看懂文字哦")


def _tamper(query: dict[str, str], body: bytes) -> tuple[dict[str, str], bytes]:
    text = body.decode()
    start = text.index("<Encrypt><![CDATA[") + len("<Encrypt><![CDATA[") + 20
    swapped = "B" if text[start] != "B" else "C"
    return query, (text[:start] + swapped + text[start + 1:]).encode()


BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
    "<xml><Content>&lol2;</Content></xml>"
)
EXTERNAL_ENTITY = (
    '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    + text_push("&xxe;", "50099").replace("<![CDATA[&xxe;]]>", "&xxe;")
)
ATTACKS: dict[str, tuple[str, Callable[[dict[str, str], bytes], tuple[dict[str, str], bytes]]]] = {
    "bad signature": ("safe", lambda q, b: ({**q, "signature": "0" * 40}, b)),
    "bad msg_signature": ("safe", lambda q, b: ({**q, "msg_signature": "0" * 40}, b)),
    "tampered ciphertext": ("safe", _tamper),
    "truncated envelope": ("safe", lambda q, b: (q, b[:40])),
    "truncated plain XML": ("plain", lambda q, b: (q, b[:-30])),
    "billion laughs": ("plain", lambda q, b: (q, BILLION_LAUGHS.encode())),
    "external entity": ("plain", lambda q, b: (q, EXTERNAL_ENTITY.encode())),
    "entities in safe envelope": ("safe", lambda q, b: (q, BILLION_LAUGHS.encode())),
    "plain body in safe mode": ("safe", lambda q, b: (
        {k: v for k, v in q.items() if k not in ("encrypt_type", "msg_signature")},
        text_push("多久发货", "50098").encode())),
    "no query at all": ("plain", lambda q, b: ({}, b)),
}


@pytest.mark.parametrize("case", sorted(ATTACKS))
async def test_bad_requests_get_4xx_and_store_nothing(
    start_client: Callable[..., Any], wechat_api: FakeWeChatApi, case: str
) -> None:
    mode, change = ATTACKS[case]
    client = await start_client(mode)
    query, body = change(*push(text_push("多久发货", "50050"), mode))
    response = await client.post("/webhooks/wechat", params=query, data=body)
    assert 400 <= response.status < 500
    bot = bot_of(client)
    stored = counts(bot)
    assert {key: stored[key] for key in ("deliveries", "conversation_log", "outbox",
                                         "identities")} == dict.fromkeys(
        ("deliveries", "conversation_log", "outbox", "identities"), 0)
    # Authentic-but-unparseable plain bodies are kept as dead letters; forgeries are not.
    assert stored["dead_letters"] == (1 if response.status == 400 and mode == "plain" else 0)


async def test_message_outside_the_window_is_undeliverable(
    start_client: Callable[..., Any], wechat_api: FakeWeChatApi
) -> None:
    client = await start_client("safe")
    bot = bot_of(client)
    await post(client, text_push("你好", "50060"), "safe")
    customer = bot.store.customers.find("wechat", OPENID)
    assert customer is not None
    assert bot.outgoing.notify(customer.id, [Reply("通知")], "open") == "wechat"
    await wechat_api.wait_for_delivered(1)
    # Two days later the window has closed: notify finds no way, a queued send is given up.
    bot.store.db.execute("UPDATE identities SET last_inbound_at = '2020-01-01T00:00:00.000000Z'")
    assert bot.outgoing.notify(customer.id, [Reply("迟到的通知")], "late") is None
    for request in bot.adapters["wechat"].render_to(Address("wechat", OPENID), [Reply("迟到")]):
        bot.outbox.enqueue(request, "late-direct")
    await bot.outbox.wait_idle()
    rows = bot.store.outbox.list(("undeliverable",))
    assert len(rows) == 1 and "48-hour" in rows[0].last_error
    assert len(wechat_api.attempts) == 1 and wechat_api.token_requests == 1


@pytest.mark.parametrize(
    ("answer", "status", "reason"),
    [
        ({"errcode": 45015, "errmsg": "response out of time limit"}, "undeliverable", "48-hour"),
        ({"errcode": 45047, "errmsg": "out of response count limit"}, "undeliverable", "quota"),
        ({"errcode": 40003, "errmsg": "invalid openid"}, "failed", "40003"),
    ],
)
async def test_send_errcodes_mark_the_outbox_row(
    start_client: Callable[..., Any], wechat_api: FakeWeChatApi,
    answer: dict[str, Any], status: str, reason: str,
) -> None:
    client, release = await start_slow(start_client)
    wechat_api.planned.append(answer)
    await post_slowly(client, release, text_push("slow", "50070"))
    await wechat_api.wait_for_attempts(1)
    bot = bot_of(client)
    await bot.outbox.wait_idle()
    rows = bot.store.outbox.list()
    assert [row.status for row in rows] == [status] and reason in rows[0].last_error
    assert len(wechat_api.attempts) == 1


async def test_server_errors_are_retried(
    start_client: Callable[..., Any], wechat_api: FakeWeChatApi
) -> None:
    client, release = await start_slow(start_client)
    wechat_api.planned.extend([502, {"errcode": -1, "errmsg": "system busy"}])
    await post_slowly(client, release, text_push("slow", "50080"))
    await wechat_api.wait_for_delivered(1)
    bot = bot_of(client)
    await bot.outbox.wait_idle()
    assert len(wechat_api.attempts) == 3 and bot.store.outbox.counts() == {"sent": 1}


async def test_unfollow_gets_no_reply(
    start_client: Callable[..., Any], wechat_api: FakeWeChatApi
) -> None:
    client = await start_client("safe")
    status, body = await post(client, fixture("unsubscribe"), "safe")
    assert status == 200 and body in ("", "success")
    bot = bot_of(client)
    await bot.outbox.wait_idle()
    assert counts(bot)["deliveries"] == 1 and wechat_api.attempts == []
    assert MessageKind.EVENT.value == bot.store.db.scalar(
        "SELECT kind FROM conversation_log WHERE direction = 'in'")
