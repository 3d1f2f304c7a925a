"""GET /readyz flips when a platform stops working (fake APIs on loopback) and flips back."""

from __future__ import annotations

import asyncio
import copy
import json
import re
import time
from collections.abc import Callable
from typing import Any

from aiohttp.test_utils import TestClient

from bot.app import build_bot
from bot.config import Config
from bot.server.app import create_app
from bot.server.running import BOT_KEY
from tests.adapters.whatsapp.helpers import ENV as WA_ENV
from tests.adapters.whatsapp.helpers import settings_table, signature
from tests.fakes.telegram_api import FakeTelegramApi, telegram_config
from tests.fakes.wechat_api import FakeWeChatApi
from tests.fakes.whatsapp_api import FakeGraphApi
from tests.helpers.backends import writer_lock_held
from tests.helpers.paths import FIXTURES
from tests.helpers.wechat import APP_ID, APP_SECRET, ENV, platform_table

UNAUTHORIZED = {"ok": False, "error_code": 401, "description": "Unauthorized"}


async def readyz(client: TestClient[Any, Any]) -> tuple[int, dict[str, Any]]:
    response = await client.get("/readyz")
    return response.status, await response.json()


async def until(client: TestClient[Any, Any], status: int, timeout: float = 15) -> dict[str, Any]:
    """Ask /readyz until it answers `status`; its body then."""
    deadline = time.monotonic() + timeout
    while True:
        got, body = await readyz(client)
        if got == status:
            return body
        assert time.monotonic() < deadline, f"/readyz stayed {got}: {body}"
        await asyncio.sleep(0.05)


async def serve(config: Config, aiohttp_client: Callable[..., Any]) -> TestClient[Any, Any]:
    client: TestClient[Any, Any] = await aiohttp_client(create_app(build_bot(config)))
    return client


async def test_the_store_and_its_migrations_are_checked(client: TestClient[Any, Any]) -> None:
    status, body = await readyz(client)
    assert (status, body) == (200, {"status": "ready",
                                    "checks": {"store": "ok", "migrations": "ok"}})
    bot = client.app[BOT_KEY]
    bot.store.db.execute("DELETE FROM schema_migrations WHERE id = '0050_outbox_request_ids'")
    status, body = await readyz(client)
    assert status == 503 and body["status"] == "not ready"
    assert body["checks"]["migrations"] == "not applied: 0050_outbox_request_ids"
    assert body["checks"]["store"] == "ok"


async def test_readyz_flips_while_telegram_polling_fails(
    make_config: Callable[..., Config], telegram_api: FakeTelegramApi,
    aiohttp_client: Callable[..., Any],
) -> None:
    telegram = telegram_api
    config = telegram_config(make_config, telegram.base_url, mode="polling",
                             poll_timeout_seconds=1, secret_token_env="")
    client = await serve(config, aiohttp_client)
    await telegram.wait_for("getUpdates", 2)  # the first poll came back: polling works
    assert (await until(client, 200))["checks"]["telegram"] == "ok"
    telegram.fail_next("getUpdates", 401, UNAUTHORIZED)
    body = await until(client, 503)
    assert body["checks"]["telegram"] == (
        "getUpdates failed (1 in a row): HTTP 401: Unauthorized"
    )
    assert body["checks"]["store"] == "ok"
    # The next poll works again (after the poller's back-off): ready again.
    assert (await until(client, 200))["checks"]["telegram"] == "ok"


async def test_readyz_says_why_when_no_wechat_token_can_be_fetched(
    make_config: Callable[..., Config], aiohttp_client: Callable[..., Any]
) -> None:
    api = FakeWeChatApi(APP_ID, "the-secret-wechat-really-has")
    await api.start()
    try:
        config = make_config(platforms={"wechat": platform_table("plain", api.url)}, env=ENV)
        client = await serve(config, aiohttp_client)
        status, body = await readyz(client)
        assert status == 503
        assert body["checks"]["wechat"] == (
            "no access token can be fetched: token endpoint refused: errcode 40125"
            " invalid appsecret"
        )
        assert APP_SECRET not in json.dumps(body)
        api.app_secret = APP_SECRET  # the operator fixed the secret in the MP console
        status, body = await readyz(client)
        assert (status, body["checks"]["wechat"]) == (200, "ok")
        assert api.token_requests == 1
        await readyz(client)
        assert api.token_requests == 1  # a valid token is kept: a probe costs no call
    finally:
        await api.close()


def whatsapp_text(number: int) -> bytes:
    data = json.loads((FIXTURES / "whatsapp" / "text.json").read_text(encoding="utf-8"))
    value = copy.deepcopy(data["entry"][0]["changes"][0]["value"])
    sender = f"86138000{number:05d}"
    value["contacts"][0].update(wa_id=sender, user_id=f"CN.{number}")
    value["messages"][0].update({"from": sender, "id": f"wamid.readyz.{number}"})
    data["entry"][0]["changes"][0]["value"] = value
    return json.dumps(data).encode()


async def test_readyz_flips_when_sends_to_a_platform_keep_failing(
    make_config: Callable[..., Config], aiohttp_client: Callable[..., Any]
) -> None:
    graph = FakeGraphApi()
    await graph.start()
    try:
        env = {**WA_ENV, "WA_TOKEN": "a-revoked-access-token"}
        config = make_config(platforms={"whatsapp": settings_table(graph.url)}, env=env)
        client = await serve(config, aiohttp_client)
        assert (await until(client, 200))["checks"]["whatsapp"] == "ok"
        for number in range(3):
            body = whatsapp_text(number)
            response = await client.post(
                "/webhooks/whatsapp", data=body,
                headers={"X-Hub-Signature-256": signature(body),
                         "Content-Type": "application/json"},
            )
            assert response.status == 200
        await graph.wait_for(3)
        body = await until(client, 503)
        # Each message gets more than one send (the welcome gift, the answer): at least 3.
        assert re.match(r"the last \d+ sends failed: HTTP 401", body["checks"]["whatsapp"])
        assert "Invalid OAuth access token" in body["checks"]["whatsapp"]
        assert "a-revoked-access-token" not in json.dumps(body)
    finally:
        await graph.close()


async def test_a_store_that_cannot_take_a_write_is_not_ready(client: TestClient[Any, Any]) -> None:
    bot = client.app[BOT_KEY]
    # Another writer holds the lock past the busy timeout.
    with writer_lock_held(bot.store):
        status, body = await readyz(client)
    assert status == 503 and body["checks"]["store"].startswith("cannot write: ")
    assert (await readyz(client))[0] == 200
