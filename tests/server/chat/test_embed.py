"""Embedding: the page's CSP, the snippet script, and CORS for allowed origins only."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.app import build_bot
from bot.config import Config
from bot.core.errors import ConfigError
from bot.server.app import create_app
from bot.server.running import BOT_KEY

Client = TestClient[Any, Any]
SHOP = "https://shop.example.com"
EVIL = "https://evil.example.net"


@pytest.fixture
async def api(make_config: Callable[..., Config], aiohttp_client: Callable[..., Any]) -> Client:
    config = make_config(web={"allowed_origins": [SHOP, "http://localhost:8081"]})
    return await aiohttp_client(create_app(build_bot(config)))  # type: ignore[no-any-return]


def settings_of(page: str) -> dict[str, Any]:
    found = re.search(r'id="brandbot-settings">(.*?)</script>', page, re.S)
    assert found
    return dict(json.loads(found.group(1)))


async def test_the_page_may_be_framed_by_allowed_origins_only(api: Client) -> None:
    response = await api.get("/")
    assert response.status == 200
    policy = response.headers["Content-Security-Policy"]
    assert f"frame-ancestors 'self' {SHOP} http://localhost:8081" in policy
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    settings = settings_of(await response.text())
    assert settings["brand"] == "Cloud Leaf Tea" and settings["embed"] is False
    framed = await api.get("/", params={"embed": "1", "parent": SHOP, "color": "#123456",
                                        "name": "Leaf </script><b>", "lang": "en"})
    assert framed.status == 200
    page = await framed.text()
    assert "</script><b>" not in page  # the snippet's name is data, never markup
    settings = settings_of(page)
    assert settings["parent"] == SHOP and settings["embed"] is True
    assert settings["color"] == "#123456" and settings["language"] == "en"
    assert settings["brand"] == "Leaf </script><b>"
    refused = await api.get("/", params={"embed": "1", "parent": EVIL})
    assert refused.status == 403 and "allowed_origins" in await refused.text()
    pale = await api.get("/", params={"embed": "1", "parent": SHOP, "color": "#eeeeee"})
    assert settings_of(await pale.text())["color"] == "#3d7a4f"  # unreadable: not used


async def test_the_snippet_knows_the_allowed_origins_and_defaults(api: Client) -> None:
    response = await api.get("/embed.js")
    assert response.status == 200 and response.content_type == "application/javascript"
    script = await response.text()
    assert "__EMBED_SETTINGS__" not in script
    defaults = json.loads(re.search(r"const DEFAULTS = (\{.*?\});", script).group(1))  # type: ignore[union-attr]
    assert defaults["allowedOrigins"] == [SHOP, "http://localhost:8081"]
    assert defaults["position"] == "right" and defaults["color"] == "#3d7a4f"
    for name in ("chat.js", "chat.css"):
        asset = await api.get(f"/chat/{name}")
        assert asset.status == 200 and asset.headers["X-Content-Type-Options"] == "nosniff"
    assert (await api.get("/chat/../config.toml")).status == 404
    assert (await api.get("/chat/demo.html")).status == 404


async def test_cors_answers_allowed_origins_and_refuses_others(api: Client) -> None:
    preflight = await api.options(
        "/api/chat", headers={"Origin": SHOP, "Access-Control-Request-Method": "POST",
                              "Access-Control-Request-Headers": "authorization, content-type"},
    )
    assert preflight.status == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == SHOP
    assert "Authorization" in preflight.headers["Access-Control-Allow-Headers"]
    session = await api.post("/api/chat/session", json={"mode": "token"},
                             headers={"Origin": SHOP})
    assert session.headers["Access-Control-Allow-Origin"] == SHOP
    token = (await session.json())["token"]
    answer = await api.post(
        "/api/chat", json={"text": "多久发货", "message_id": "x1"},
        headers={"Origin": SHOP, "Authorization": f"Bearer {token}"},
    )
    assert answer.status == 200 and answer.headers["Access-Control-Allow-Origin"] == SHOP
    assert "Origin" in answer.headers["Vary"]

    bot = api.app[BOT_KEY]
    count = bot.store.deliveries.count()
    denied = await api.options(
        "/api/chat", headers={"Origin": EVIL, "Access-Control-Request-Method": "POST"}
    )
    assert denied.status == 403 and "Access-Control-Allow-Origin" not in denied.headers
    for path in ("/api/chat", "/api/chat/session"):
        forged = await api.post(
            path, json={"text": "多久发货", "message_id": "x2"},
            headers={"Origin": EVIL, "Authorization": f"Bearer {token}"},
        )
        assert forged.status == 403 and "allowed_origins" in (await forged.json())["error"]
    read = await api.get("/api/chat/history", headers={"Origin": EVIL,
                                                       "Authorization": f"Bearer {token}"})
    assert "Access-Control-Allow-Origin" not in read.headers  # the browser hides the answer
    assert bot.store.deliveries.count() == count


def test_bad_web_settings_are_each_named(make_config: Callable[..., Config]) -> None:
    with pytest.raises(ConfigError) as raised:
        make_config(
            env={"WEAK": "short"},
            web={"allowed_origins": ["shop.example.com", "https://a.example/path"],
                 "color": "#ffff00", "position": "middle", "upload_types": ["image/svg+xml"],
                 "session_secret_env": "WEAK", "colour": "#000000"},
        )
    problems = "\n".join(raised.value.problems)
    for expected in (
        "web.allowed_origins: 'shop.example.com' is not an origin",
        "web.allowed_origins: 'https://a.example/path' is not an origin",
        "web.color: #ffff00 behind #ffffff text has contrast",
        "web.position: must be one of right, left",
        "web.upload_types: ['image/svg+xml'] not among",
        "web.session_secret_env: the secret must be at least 32 bytes",
        "web.colour: unknown setting",
    ):
        assert expected in problems, problems
