"""The HTTP app outside the web chat: /healthz and webhooks of unknown platforms."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.server.running import BOT_KEY

Client = TestClient[Any, Any]


async def test_healthz_reports_the_store(client: Client) -> None:
    response = await client.get("/healthz")
    assert response.status == 200
    data = await response.json()
    assert data["status"] == "ok" and data["store"] is True and data["schema_version"] >= 1


async def test_healthz_is_503_when_the_store_fails(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object) -> None:
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(client.app[BOT_KEY].store.db, "scalar", broken)
    response = await client.get("/healthz")
    assert response.status == 503
    assert (await response.json())["store"] is False


async def test_unknown_platform_webhook_is_404(client: Client) -> None:
    response = await client.post("/webhooks/nowhere", data=b"{}")
    assert response.status == 404
