"""Request ids and the access log: every answer names its id; a trusted proxy's id is kept."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.app import build_bot
from bot.config import Config
from bot.server.app import create_app


async def test_every_answer_names_its_request_id_and_is_logged_once(
    client: TestClient[Any, Any], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="brandbot.access"):
        first = await client.get("/", headers={"X-Request-Id": "from-a-stranger-1"})
        missing = await client.get("/api/chat/uploads/secret-photo-id-12345")
        probe = await client.get("/healthz")
    ids = [first.headers["X-Request-Id"], missing.headers["X-Request-Id"]]
    assert ids[0] != "from-a-stranger-1"  # not from a trusted proxy: not believed
    assert len(set(ids)) == 2 and all(len(value) == 16 for value in ids)
    assert probe.headers["X-Request-Id"]
    records = [record for record in caplog.records if record.name == "brandbot.access"]
    # Probes are logged at DEBUG: a healthcheck every few seconds would drown the rest.
    assert [record.getMessage().split(" ")[:3] for record in records] == [
        ["GET", "/", "200"], ["GET", "/api/chat/uploads/{upload_id}", "404"]
    ]
    assert "secret-photo-id" not in caplog.text  # ids in paths are never logged


async def test_a_trusted_proxys_request_id_is_kept(
    make_config: Callable[..., Config], aiohttp_client: Callable[..., Any]
) -> None:
    config = make_config(server={"trusted_proxies": ["127.0.0.1"], "access_log": False})
    client: TestClient[Any, Any] = await aiohttp_client(create_app(build_bot(config)))
    answered = await client.get("/healthz", headers={"X-Request-Id": "proxy-abc-12345"})
    assert answered.headers["X-Request-Id"] == "proxy-abc-12345"
    odd = await client.get("/healthz", headers={"X-Request-Id": "bad id; DROP <x>"})
    assert odd.headers["X-Request-Id"] != "bad id; DROP <x>"
