"""GET /api/chat/stream: messages sent to a visitor later arrive as server-sent events."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient

from bot.core.message import Address, Reply
from bot.server.running import BOT_KEY
from tests.helpers.web import visit

Client = TestClient[Any, Any]


async def next_event(response: ClientResponse) -> dict[str, Any]:
    """The data of the next `data:` event (comments and retry lines skipped)."""
    fields: dict[str, str] = {}
    while True:
        line = (await response.content.readline()).decode().rstrip("\n")
        if not line and "data" in fields:
            return {"id": fields.get("id"), **json.loads(fields["data"])}
        name, _, value = line.partition(": ")
        if name in ("id", "data"):
            fields[name] = value


async def test_a_relayed_message_arrives_on_the_open_stream(client: Client) -> None:
    bot = client.app[BOT_KEY]
    visitor = await visit(client)
    await visitor.say("多久发货")
    lines = await visitor.history()
    stream = await client.get(
        "/api/chat/stream", params={"after": str(lines[-1]["id"])}, headers=visitor.headers
    )
    assert stream.status == 200 and stream.content_type == "text/event-stream"
    customer = bot.store.customers.find("web", visitor.user_id)
    assert customer is not None
    await asyncio.sleep(0)  # the stream subscribes once its first read of the log is done
    address = Address("web", visitor.user_id, visitor.user_id)
    bot.outgoing.deliver([Reply(text="【客服】马上帮你看", to=address)], "staff-1")
    event = await asyncio.wait_for(next_event(stream), 5)
    assert event["text"] == "【客服】马上帮你看" and event["route"] == "relay"
    assert int(event["id"]) == event["id"] > lines[-1]["id"]
    # The visitor's own turns come back in POST answers, not on the stream.
    await visitor.say("谢谢")
    bot.outgoing.deliver([Reply(text="不客气", to=address)], "staff-2")
    event = await asyncio.wait_for(next_event(stream), 5)
    assert event["text"] == "不客气"
    stream.close()
    await asyncio.sleep(0.05)
    assert bot.events.listeners(customer.id) == 0


async def test_a_reconnect_gets_what_was_missed_and_strangers_get_nothing(
    client: Client,
) -> None:
    bot = client.app[BOT_KEY]
    visitor = await visit(client)
    await visitor.say("多久发货")
    before = (await visitor.history())[-1]["id"]
    address = Address("web", visitor.user_id, visitor.user_id)
    bot.outgoing.deliver([Reply(text="您的订单已发货", to=address)], "event-1")
    stream = await client.get(
        "/api/chat/stream", headers={"Last-Event-ID": str(before), **visitor.headers}
    )
    assert (await asyncio.wait_for(next_event(stream), 5))["text"] == "您的订单已发货"
    stream.close()
    newcomer = await visit(client)
    nothing = await client.get("/api/chat/stream", headers=newcomer.headers)
    assert nothing.status == 204  # never wrote: nothing can be sent to them yet
    anonymous = await client.get("/api/chat/stream")
    assert anonymous.status == 401
