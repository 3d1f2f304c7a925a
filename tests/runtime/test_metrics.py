"""GET /metrics after a real conversation: every number an operator watches is there and moves."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from prometheus_client.parser import text_string_to_metric_families

from bot.app import build_bot
from bot.config import Config
from bot.server.app import create_app
from bot.server.running import BOT_KEY
from tests.adapters.telegram.test_adapter import post, settle, text_update
from tests.fakes.telegram_api import FakeTelegramApi, telegram_config
from tests.helpers.backends import writer_lock_held

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


async def scrape(client: TestClient[Any, Any], **headers: str) -> Samples:
    response = await client.get("/metrics", headers=headers)
    assert response.status == 200, await response.text()
    assert response.content_type == "text/plain"
    samples: Samples = {}
    for family in text_string_to_metric_families(await response.text()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture
def api(telegram_api: FakeTelegramApi) -> FakeTelegramApi:
    return telegram_api


@pytest.fixture
async def client(
    make_config: Callable[..., Config], api: FakeTelegramApi,
    aiohttp_client: Callable[..., Any],
) -> TestClient[Any, Any]:
    config = telegram_config(make_config, api.base_url)
    client: TestClient[Any, Any] = await aiohttp_client(create_app(build_bot(config)))
    return client


async def test_metrics_are_present_and_move_after_a_conversation(
    client: TestClient[Any, Any], api: FakeTelegramApi
) -> None:
    before = await scrape(client)
    for name in ("brandbot_outbox_rows", "brandbot_dead_letters", "brandbot_store_up",
                 "brandbot_outbox_oldest_pending_seconds", "brandbot_build_info"):
        assert any(key[0] == name for key in before), name
    assert value(before, "brandbot_messages_received_total", platform="telegram") == 0
    assert value(before, "brandbot_faq_outcomes_total", outcome="answered") == 0

    assert await post(client, text_update(1, "多久发货", 901)) == 200
    assert await post(client, text_update(1, "多久发货", 901)) == 200  # a redelivery
    assert await post(client, text_update(2, "qwzx plomf zzkv", 902)) == 200
    assert await post(client, text_update(3, "人工", 903)) == 200
    assert await post(client, b"{not json") == 400  # authentic, unparseable: a dead letter
    await settle(client)
    await api.wait_for("sendMessage", 3)
    after = await scrape(client)

    assert value(after, "brandbot_messages_received_total", platform="telegram") == 3
    assert value(after, "brandbot_messages_duplicate_total", platform="telegram") == 1
    assert value(after, "brandbot_messages_handled_total", platform="telegram", route="faq") == 1
    assert value(after, "brandbot_faq_outcomes_total", outcome="answered") == 1
    assert value(after, "brandbot_faq_outcomes_total", outcome="fallback") == 1
    assert value(after, "brandbot_replies_total", platform="telegram") >= 3
    assert value(after, "brandbot_handling_seconds_count", platform="telegram") == 3
    assert value(after, "brandbot_handling_seconds_sum", platform="telegram") > 0
    assert value(after, "brandbot_outbox_sends_total", platform="telegram", result="sent") >= 3
    assert value(after, "brandbot_dead_letters", platform="telegram") == 1
    assert value(after, "brandbot_handoffs", status="queued") == 1
    assert value(after, "brandbot_outbox_rows", platform="telegram", status="pending") == 0
    assert value(
        after, "brandbot_http_requests_total", method="POST", route="/webhooks/telegram",
        status="400",
    ) == 1
    assert value(after, "brandbot_store_up") == 1


async def test_outbox_depth_and_oldest_pending_age_show_a_platform_that_is_down(
    client: TestClient[Any, Any], api: FakeTelegramApi
) -> None:
    for _ in range(3):
        api.fail_next("sendMessage", 502, {"ok": False, "error_code": 502,
                                           "description": "Bad Gateway"})
    api.stall_next("sendMessage")  # the fourth try hangs: the row stays pending or sending
    assert await post(client, text_update(1, "多久发货", 901)) == 200
    await api.wait_for("sendMessage", 4, timeout=20)
    await asyncio.sleep(0.05)
    samples = await scrape(client)
    waiting = sum(value(samples, "brandbot_outbox_rows", platform="telegram", status=status)
                  for status in ("pending", "sending"))
    assert waiting == 1
    assert value(samples, "brandbot_outbox_oldest_pending_seconds", platform="telegram") > 0
    assert value(samples, "brandbot_outbox_sends_total", platform="telegram", result="retry") == 3


async def test_store_failures_are_counted_busy_apart(client: TestClient[Any, Any]) -> None:
    bot = client.app[BOT_KEY]
    with writer_lock_held(bot.store), pytest.raises(Exception, match=r"locked|busy"):
        bot.store.operations.probe_write(bot.clock.now())
    with pytest.raises(Exception, match=r"no such table|does not exist"):
        bot.store.db.execute("SELECT * FROM no_such_table")
    samples = await scrape(client)
    assert value(samples, "brandbot_store_statement_failures_total", kind="busy") == 1
    assert value(samples, "brandbot_store_statement_failures_total", kind="error") == 1


@pytest.mark.parametrize("backend", ["sqlite"])  # group commit is SQLite's
async def test_group_commits_are_counted(client: TestClient[Any, Any]) -> None:
    bot = client.app[BOT_KEY]
    before = await scrape(client)
    await asyncio.gather(*(post(client, text_update(n, "多久发货", 950 + n)) for n in range(16)))
    await bot.ingress.drain()
    samples = await scrape(client)
    groups = (value(samples, "brandbot_store_commits_total", kind="group")
              - value(before, "brandbot_store_commits_total", kind="group"))
    everything = (value(samples, "brandbot_store_commits_total", kind="all")
                  - value(before, "brandbot_store_commits_total", kind="all"))
    # Sixteen messages recorded and handled at once share commits: at most one each (each
    # message alone commits about twice: its record, its handling and replies).
    assert 1 <= groups <= everything <= 16
    assert value(samples, "brandbot_store_commits_total", kind="lost_group") == 0


async def test_a_metrics_token_is_asked_for_when_set(
    make_config: Callable[..., Config], aiohttp_client: Callable[..., Any]
) -> None:
    config = make_config(server={"metrics_token_env": "METRICS"}, env={"METRICS": "m-token-1"})
    client: TestClient[Any, Any] = await aiohttp_client(create_app(build_bot(config)))
    assert (await client.get("/metrics")).status == 401
    wrong = await client.get("/metrics", headers={"Authorization": "Bearer m-token-2"})
    assert wrong.status == 401 and "Bearer" in wrong.headers["WWW-Authenticate"]
    samples = await scrape(client, Authorization="Bearer m-token-1")
    assert value(samples, "brandbot_store_up") == 1
