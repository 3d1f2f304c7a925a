"""A web chat message_id is the idempotency key of one visitor's message, not of everyone's:
another visitor using the same id (API clients count 1, 2, 3 …) is another message."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from bot.server.running import BOT_KEY
from tests.helpers.web import visit


async def test_the_same_message_id_from_two_visitors_is_two_messages(
    client: TestClient[Any, Any],
) -> None:
    first, second = await visit(client), await visit(client)
    shipping = await first.say("多久发货", message_id="m-1")
    fee = await second.say("运费多少", message_id="m-1")
    # Each is answered for itself: the second visitor never sees the first one's answer.
    assert "16:00" in shipping["replies"][0]["text"]
    assert fee["replies"][0]["text"] != shipping["replies"][0]["text"]
    assert [line["text"] for line in await second.history() if line["direction"] == "in"] == [
        "运费多少"]
    # A repeat by the same visitor is still the same message, answered the same, once.
    again = await second.say("运费多少", message_id="m-1")
    assert again == fee
    assert client.app[BOT_KEY].store.conversations.count("in") == 2
