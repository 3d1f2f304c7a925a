"""WeChat access token and customer-service sends against the fake API on 127.0.0.1."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest

from bot.adapters.wechat import api
from bot.adapters.wechat.api import (
    FETCH_LEASE,
    SEND_PATH,
    AccessTokens,
    WeChatTransport,
    classify,
)
from bot.core.adapter import OutboundRequest, SendStatus
from bot.core.clock import FixedClock
from bot.store import Store, open_store
from tests.fakes.wechat_api import FakeWeChatApi
from tests.helpers.wechat import APP_ID, APP_SECRET, OPENID

START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


def tokens(store: Store, api: FakeWeChatApi, clock: FixedClock, secret: str = APP_SECRET
           ) -> AccessTokens:
    return AccessTokens(store.kv, api.url, APP_ID, secret, clock.now)


def request(text: str = "你好") -> OutboundRequest:
    return OutboundRequest("wechat", OPENID, SEND_PATH,
                           {"touser": OPENID, "msgtype": "text", "text": {"content": text}},
                           user_id=OPENID)


async def test_token_is_shared_by_processes_using_one_store(
    tmp_path: Path, wechat_api: FakeWeChatApi, session: aiohttp.ClientSession
) -> None:
    clock = FixedClock(START)
    first = tokens(open_store(tmp_path / "bot.db"), wechat_api, clock)
    second = tokens(open_store(tmp_path / "bot.db"), wechat_api, clock)  # another process
    assert await first.get(session) == "token-1"
    assert await second.get(session) == "token-1"
    assert wechat_api.token_requests == 1


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_instances_fetching_at_once_share_one_fetch(
    new_store: Callable[..., Store], wechat_api: FakeWeChatApi, session: aiohttp.ClientSession
) -> None:
    clock = FixedClock(START)
    # Four instances on one store, each with its own lock, all needing a token at once.
    caches = [tokens(new_store("shared.db"), wechat_api, clock) for _ in range(4)]
    found = await asyncio.gather(*(cache.get(session) for cache in caches))
    assert found == ["token-1"] * 4 and wechat_api.token_requests == 1


async def test_an_instance_that_died_mid_fetch_holds_the_others_up_only_a_while(
    new_store: Callable[..., Store], wechat_api: FakeWeChatApi, session: aiohttp.ClientSession,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = FixedClock(START)
    store = new_store("shared.db")
    cache = tokens(store, wechat_api, clock)
    store.kv.add(cache.key + ":fetching", "1", clock.now(), expires_at=clock.now() + FETCH_LEASE)
    monkeypatch.setattr(api, "FETCH_LEASE", timedelta(seconds=0.3))
    assert await cache.get(session) == "token-1"
    assert wechat_api.token_requests == 1


async def test_token_is_refreshed_before_it_lapses(
    tmp_path: Path, wechat_api: FakeWeChatApi, session: aiohttp.ClientSession
) -> None:
    clock = FixedClock(START)
    cache = tokens(open_store(tmp_path / "bot.db"), wechat_api, clock)
    assert await cache.get(session) == "token-1"
    clock.advance(seconds=7200 - 301)  # still more than the 5-minute margin left
    assert await cache.get(session) == "token-1"
    clock.advance(seconds=2)  # inside the margin: refreshed although not yet expired
    assert await cache.get(session) == "token-2"
    assert wechat_api.token_requests == 2


async def test_concurrent_senders_fetch_one_token(
    tmp_path: Path, wechat_api: FakeWeChatApi, session: aiohttp.ClientSession
) -> None:
    cache = tokens(open_store(tmp_path / "bot.db"), wechat_api, FixedClock(START))
    found = await asyncio.gather(*(cache.get(session) for _ in range(5)))
    assert found == ["token-1"] * 5 and wechat_api.token_requests == 1


async def test_a_token_refused_twice_is_refreshed_only_once(
    tmp_path: Path, wechat_api: FakeWeChatApi, session: aiohttp.ClientSession
) -> None:
    store = open_store(tmp_path / "bot.db")
    store.customers.resolve("wechat", OPENID, START)
    clock = FixedClock(START)
    transport = WeChatTransport(store.customers, tokens(store, wechat_api, clock), clock.now)
    wechat_api.planned.extend([{"errcode": 40001, "errmsg": "invalid credential"}] * 2)
    result = await transport.send(session, request())
    assert result.status is SendStatus.RETRY and "40001" in result.error
    assert [attempt.access_token for attempt in wechat_api.attempts] == ["token-1", "token-2"]
    assert wechat_api.token_requests == 2


async def test_a_wrong_app_secret_is_retried_with_the_reason(
    tmp_path: Path, wechat_api: FakeWeChatApi, session: aiohttp.ClientSession
) -> None:
    store = open_store(tmp_path / "bot.db")
    store.customers.resolve("wechat", OPENID, START)
    clock = FixedClock(START)
    wrong = tokens(store, wechat_api, clock, "wrong")
    transport = WeChatTransport(store.customers, wrong, clock.now)
    result = await transport.send(session, request())
    assert result.status is SendStatus.RETRY and "40125" in result.error
    assert wechat_api.attempts == []


async def test_sends_keep_chinese_as_utf8_json(
    tmp_path: Path, wechat_api: FakeWeChatApi, session: aiohttp.ClientSession
) -> None:
    store = open_store(tmp_path / "bot.db")
    store.customers.resolve("wechat", OPENID, START)
    clock = FixedClock(START)
    transport = WeChatTransport(store.customers, tokens(store, wechat_api, clock), clock.now)
    result = await transport.send(session, request("明前龙井 🍵"))
    assert result.status is SendStatus.SENT
    assert wechat_api.delivered[0]["text"]["content"] == "明前龙井 🍵"


def test_errcodes_are_classified() -> None:
    assert classify(0, "ok").status is SendStatus.SENT
    assert classify(45015, "").status is SendStatus.UNDELIVERABLE
    assert classify(45047, "").status is SendStatus.UNDELIVERABLE
    unfollowed = classify(43004, "require subscribe")
    assert unfollowed.status is SendStatus.UNDELIVERABLE and unfollowed.blocked
    assert classify(-1, "system busy").status is SendStatus.RETRY
    assert classify(40003, "invalid openid").status is SendStatus.FAILED
