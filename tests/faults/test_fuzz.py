"""Thousands of authentic but malformed requests at every door of the server.

Each body is a real fixture broken by a seeded generator (tests/faults/mutations.py) and then
signed the way the platform signs, so every one passes verification and reaches the parser.
Whatever arrives: never a 5xx, every 400 keeps its body as a dead letter, every message that
was accepted is handled, no bug is logged, and the server still answers properly afterwards.
Set FUZZ_CASES to run more (the default keeps `make test` quick).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import random
import secrets
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.adapters.wechat.crypto import MessageCipher
from bot.app import Bot, build_bot
from bot.config import Config
from bot.server.app import create_app
from bot.server.running import BOT_KEY
from tests.adapters.whatsapp.helpers import ENV as WHATSAPP_ENV
from tests.adapters.whatsapp.helpers import FIXTURES as WHATSAPP_FIXTURES
from tests.adapters.whatsapp.helpers import settings_table as whatsapp_table
from tests.adapters.whatsapp.helpers import signature as whatsapp_signature
from tests.fakes.platform_api import FakePlatformApi
from tests.faults.mutations import mutate_bytes, mutate_json, mutate_xml
from tests.helpers.paths import FIXTURES
from tests.helpers.web import visit
from tests.helpers.wechat import AES_KEY, APP_ID, TOKEN, platform_table, sha1
from tests.helpers.wechat import ENV as WECHAT_ENV

CASES = int(os.environ.get("FUZZ_CASES", "600"))
EVENTS_SECRET = "fuzz-events-secret"
TELEGRAM_SECRET = "fuzz-telegram-secret"
ALLOWED = {200, 400, 403, 413}


@pytest.fixture
async def api() -> AsyncIterator[FakePlatformApi]:
    fake = FakePlatformApi()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
def config(make_config: Callable[..., Config], api: FakePlatformApi) -> Config:
    env = {**WHATSAPP_ENV, **WECHAT_ENV, "TG_TOKEN": "123:fuzz", "TG_SECRET": TELEGRAM_SECRET,
           "EVENTS_SECRET": EVENTS_SECRET}
    return make_config(
        env=env,
        orders={"events_secret_env": "EVENTS_SECRET"},
        # One visitor sends every malformed body: the flood limit is not what is tested here.
        web={"messages_per_minute": 1_000_000, "message_burst": 1_000_000,
             "address_messages_per_minute": 1_000_000},
        platforms={
            "whatsapp": whatsapp_table(api.url),
            "telegram": {"enabled": True, "token_env": "TG_TOKEN",
                         "secret_token_env": "TG_SECRET", "api_base_url": api.url},
            "wechat": platform_table("compatible", api.url),
        },
    )


@pytest.fixture
async def client(config: Config, aiohttp_client: Callable[..., Any]) -> TestClient[Any, Any]:
    client: TestClient[Any, Any] = await aiohttp_client(create_app(build_bot(config)))
    return client


def _json_fixtures(folder: str) -> list[Any]:
    return [json.loads(path.read_text(encoding="utf-8"))
            for path in sorted((FIXTURES / folder).glob("*.json"))]


def _wechat_query(encrypted: str | None = None) -> dict[str, str]:
    timestamp, nonce = str(int(time.time())), secrets.token_hex(8)
    query = {"signature": sha1(TOKEN, timestamp, nonce), "timestamp": timestamp,
             "nonce": nonce, "openid": "oFuzz"}
    if encrypted is not None:
        query.update(encrypt_type="aes", msg_signature=sha1(TOKEN, timestamp, nonce, encrypted))
    return query


class Door:
    """One way in: how to break a body and sign it, and which platform keeps its dead letters."""

    def __init__(self, name: str, platform: str | None) -> None:
        self.name = name
        self.platform = platform  # None: not signed, so a 400 keeps nothing

    def request(self, rng: random.Random) -> tuple[str, dict[str, str], bytes]:
        raise NotImplementedError


class WhatsAppDoor(Door):
    def __init__(self) -> None:
        super().__init__("whatsapp", "whatsapp")
        self.documents = [json.loads(path.read_text(encoding="utf-8"))
                          for path in sorted(WHATSAPP_FIXTURES.glob("*.json"))]

    def request(self, rng: random.Random) -> tuple[str, dict[str, str], bytes]:
        document = rng.choice(self.documents)
        body = mutate_json(document, rng) if rng.random() < 0.7 else mutate_bytes(
            json.dumps(document).encode(), rng)
        return "/webhooks/whatsapp", {"X-Hub-Signature-256": whatsapp_signature(body)}, body


class TelegramDoor(Door):
    def __init__(self) -> None:
        super().__init__("telegram", "telegram")
        self.documents = _json_fixtures("telegram")

    def request(self, rng: random.Random) -> tuple[str, dict[str, str], bytes]:
        document = dict(rng.choice(self.documents), update_id=rng.randrange(1, 2**31))
        body = mutate_json(document, rng) if rng.random() < 0.7 else mutate_bytes(
            json.dumps(document).encode(), rng)
        return "/webhooks/telegram", {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}, body


class WeChatDoor(Door):
    def __init__(self, encrypted: bool) -> None:
        super().__init__("wechat-safe" if encrypted else "wechat-plain", "wechat")
        self.encrypted = encrypted
        self.pushes = [path.read_text(encoding="utf-8")
                       for path in sorted((FIXTURES / "wechat").glob("*.xml"))]
        self.cipher = MessageCipher(AES_KEY, APP_ID)

    def request(self, rng: random.Random) -> tuple[str, dict[str, str], bytes]:
        xml = rng.choice(self.pushes).replace(
            "</MsgId>", f"{rng.randrange(10**6)}</MsgId>"
        )
        body = mutate_xml(xml, rng)
        if not self.encrypted:
            query = _wechat_query()
        else:
            encrypted = self.cipher.encrypt(body.decode("utf-8", "replace"))
            query = _wechat_query(encrypted)
            body = f"<xml><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>".encode()
        path = "/webhooks/wechat?" + "&".join(f"{key}={value}" for key, value in query.items())
        return path, {"Content-Type": "text/xml"}, body


class OrderEventsDoor(Door):
    def __init__(self) -> None:
        super().__init__("order-events", "orders")
        self.documents = [
            {"event_id": "evt-1", "order_number": "CL2611180001", "status": "shipped",
             "carrier": "SF", "tracking_number": "SF123", "expected_on": "2026-11-25",
             "occurred_at": "2026-11-20T10:00:00+08:00"},
            {"event_id": "evt-2", "order_number": "CL2611190002", "status": "paid"},
        ]

    def request(self, rng: random.Random) -> tuple[str, dict[str, str], bytes]:
        document = dict(rng.choice(self.documents), event_id=f"evt-{rng.randrange(10**9)}")
        body = mutate_json(document, rng) if rng.random() < 0.7 else mutate_bytes(
            json.dumps(document).encode(), rng)
        digest = hmac.new(EVENTS_SECRET.encode(), body, hashlib.sha256).hexdigest()
        return "/api/orders/events", {"X-Brandbot-Signature": f"sha256={digest}"}, body


class WebChatDoor(Door):
    def __init__(self) -> None:
        super().__init__("web-chat", None)
        self.headers: dict[str, str] = {}  # a visitor's session, set once the client runs

    def request(self, rng: random.Random) -> tuple[str, dict[str, str], bytes]:
        document = {"message_id": secrets.token_hex(8),
                    "text": rng.choice(["多久发货", "hi", "CL2611180001", "签到"])}
        body = mutate_json(document, rng) if rng.random() < 0.7 else mutate_bytes(
            json.dumps(document).encode(), rng)
        return "/api/chat", {"Content-Type": "application/json", **self.headers}, body


DOORS: list[Callable[[], Door]] = [
    WhatsAppDoor, TelegramDoor, lambda: WeChatDoor(False), lambda: WeChatDoor(True),
    OrderEventsDoor, WebChatDoor,
]


@pytest.mark.parametrize("make_door", DOORS, ids=["whatsapp", "telegram", "wechat-plain",
                                                  "wechat-safe", "order-events", "web-chat"])
async def test_malformed_bodies_never_get_a_5xx_and_lose_nothing(
    client: TestClient[Any, Any], make_door: Callable[[], Door],
    caplog: pytest.LogCaptureFixture,
) -> None:
    door = make_door()
    bot = client.app[BOT_KEY]
    assert isinstance(bot, Bot)
    visitor = await visit(client)
    if isinstance(door, WebChatDoor):
        door.headers = visitor.headers
    rng = random.Random(f"brandbot-fuzz-{door.name}")
    statuses: Counter[int] = Counter()
    before = bot.store.dead_letters.count()
    with caplog.at_level(logging.WARNING):
        for _ in range(CASES):
            path, headers, body = door.request(rng)
            response = await client.post(path, data=body, headers=headers)
            statuses[response.status] += 1
            assert response.status in ALLOWED, (response.status, body[:200])
        await bot.ingress.drain(30)
    bugs = [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert not bugs, [record.getMessage() for record in bugs[:5]]
    if door.platform is not None:
        # Every authentic body we could not parse is kept whole.
        assert bot.store.dead_letters.count() - before == statuses[400]
    # Everything accepted was handled (nothing recorded and left behind).
    assert bot.store.deliveries.unhandled(bot.clock.now() + timedelta(days=1)) == []
    # And the server still answers a customer properly.
    answer = await visitor.say("多久发货", message_id="calm-1")
    assert "16:00" in answer["replies"][0]["text"]

