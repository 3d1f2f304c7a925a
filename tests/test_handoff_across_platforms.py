"""A full human handoff across two real adapters: the customer on WhatsApp, the agent on Telegram.

Both platforms are fakes on 127.0.0.1; every message goes in through its signed webhook and
every answer out through the outbox, as in production.
"""

from __future__ import annotations

import copy
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.app import build_bot
from bot.config import Config
from bot.server.app import create_app
from bot.server.running import BOT_KEY
from tests.adapters.whatsapp.helpers import ENV, fixture, settings_table, signature
from tests.fakes.telegram_api import SECRET, TOKEN, FakeTelegramApi
from tests.fakes.whatsapp_api import FakeGraphApi

CUSTOMER = "8613800138000"  # the WhatsApp customer in the fixtures
AGENT = 7001  # a Telegram user who is an agent; their private chat is the staff chat


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegramApi]:
    fake = FakeTelegramApi()
    await fake.start()
    yield fake
    await fake.close()


@pytest.fixture
async def client(
    make_config: Callable[..., Config], graph: FakeGraphApi, telegram: FakeTelegramApi,
    aiohttp_client: Callable[..., Any],
) -> TestClient[Any, Any]:
    config = make_config(
        platforms={
            "whatsapp": settings_table(graph.url),
            "telegram": {"enabled": True, "token_env": "TG_TOKEN",
                         "secret_token_env": "TG_SECRET", "api_base_url": telegram.base_url,
                         "bot_username": "cloudleaf_bot"},
        },
        env={**ENV, "TG_TOKEN": TOKEN, "TG_SECRET": SECRET},
        staff={"chat": f"telegram:{AGENT}", "members": {f"telegram:{AGENT}": "agent"}},
        handoff={"opens": "00:00", "closes": "23:59"},
        rewards={"follow_bonus": 0},
    )
    made: TestClient[Any, Any] = await aiohttp_client(create_app(build_bot(config)))
    return made


class Conversation:
    """Posts what the customer and the agent type; reads what the platforms received."""

    def __init__(self, client: TestClient[Any, Any], graph: FakeGraphApi,
                 telegram: FakeTelegramApi) -> None:
        self.client, self.graph, self.telegram = client, graph, telegram
        self.sequence = 0

    async def customer_says(self, text: str) -> None:
        self.sequence += 1
        data = json.loads(fixture("text.json"))
        message = data["entry"][0]["changes"][0]["value"]["messages"][0]
        message["id"] = f"wamid.handoff.{self.sequence}"
        message["text"]["body"] = text
        body = json.dumps(data, ensure_ascii=False).encode()
        response = await self.client.post(
            "/webhooks/whatsapp", data=body,
            headers={"X-Hub-Signature-256": signature(body), "Content-Type": "application/json"},
        )
        assert response.status == 200

    async def agent_says(self, text: str) -> None:
        self.sequence += 1
        user = {"id": AGENT, "is_bot": False, "first_name": "Agent"}
        update = {
            "update_id": 910000 + self.sequence,
            "message": {"message_id": 300 + self.sequence, "from": user,
                        "chat": {**copy.deepcopy(user), "type": "private"},
                        "date": 1763890000, "text": text},
        }
        response = await self.client.post(
            "/webhooks/telegram", json=update,
            headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
        )
        assert response.status == 200

    async def to_customer(self, count: int) -> list[str]:
        """The texts WhatsApp was asked to deliver so far (waiting for `count`)."""
        received = await self.graph.wait_for(count)
        texts = []
        for item in received:
            body = item.body
            texts.append(body["text"]["body"] if body["type"] == "text"
                         else body["interactive"]["body"]["text"])
        return texts

    async def to_agent(self, count: int) -> list[str]:
        """The texts Telegram was asked to deliver so far (waiting for `count`)."""
        calls = await self.telegram.wait_for("sendMessage", count)
        return [str(call["text"]) for call in calls]


async def test_handoff_round_trip_whatsapp_customer_telegram_agent(
    client: TestClient[Any, Any], graph: FakeGraphApi, telegram: FakeTelegramApi
) -> None:
    chat = Conversation(client, graph, telegram)
    await chat.customer_says("人工")
    queued = (await chat.to_customer(1))[0]
    assert "转接人工客服" in queued  # told they are in the queue
    notice = (await chat.to_agent(1))[0]
    assert "/take 1" in notice and CUSTOMER in notice

    await chat.agent_says("/take 1")
    await chat.to_agent(2)
    taken = (await chat.to_customer(2))[1]
    assert "接入" in taken  # the customer is told a person has joined

    # While the agent holds it, the customer's question goes to the agent; the bot is silent.
    await chat.customer_says("多久发货？")
    forwarded = (await chat.to_agent(3))[2]
    assert forwarded.startswith("#1") and "多久发货" in forwarded
    assert len(graph.received) == 2

    await chat.agent_says("您好，今天下单明天发货。")
    relayed = (await chat.to_customer(3))[2]
    assert "今天下单明天发货" in relayed

    await chat.agent_says("/release 1")
    await chat.to_customer(4)
    assert graph.received[3].body["type"] == "interactive"  # the 1–5 rating buttons

    # Back with the bot: the same question now gets the knowledge-base answer.
    await chat.customer_says("多久发货？")
    answer = (await chat.to_customer(5))[4]
    assert "16:00" in answer
    bot = client.app[BOT_KEY]
    handoff = bot.store.handoffs.get(1)
    assert handoff is not None and handoff.status == "closed"
