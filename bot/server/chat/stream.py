"""GET /api/chat/stream: server-sent events carrying messages sent to the visitor later.

A person taking over (handoff), an order update or a reminder is logged for the customer;
Outgoing publishes that, and this stream reads the new lines from the log and sends them.
The widget falls back to polling /api/chat/history when a stream cannot be kept open.
"""

from __future__ import annotations

import json
import time

from aiohttp import web

from bot.core.websession import NO_SESSION
from bot.server.chat.api import WEB, after_of, conversation
from bot.server.chat.session import visitor
from bot.server.http import json_error
from bot.server.running import BOT_KEY

HEARTBEAT_SECONDS = 15.0  # a comment line keeps proxies from closing an idle stream
STREAM_SECONDS = 600.0  # then the browser reconnects with the last id it saw
RETRY_MILLISECONDS = 2000


async def stream(request: web.Request) -> web.StreamResponse:
    """Relayed messages as `message` events, each with its log id."""
    bot = request.app[BOT_KEY]
    visitor_id = visitor(request)
    if visitor_id is None:
        return json_error(401, NO_SESSION)
    after = after_of(request)
    last_event = request.headers.get("Last-Event-ID", "")
    if last_event.isdigit():
        after = max(after or 0, int(last_event))
    if after is None:
        return json_error(400, "after must be a log id (0 or more)")
    customer = bot.store.customers.find(WEB, visitor_id)
    if customer is None:
        # Nothing can be sent to someone who never wrote: the widget opens the stream after
        # its first message (204 also tells an EventSource not to reconnect).
        return web.Response(status=204)
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/event-stream",
            "Cache-Control": "no-store",
            "X-Accel-Buffering": "no",  # nginx would otherwise hold events back
        }
    )
    await response.prepare(request)
    deadline = time.monotonic() + STREAM_SECONDS
    try:
        await response.write(f"retry: {RETRY_MILLISECONDS}\n: open\n\n".encode())
        with bot.events.subscribe(customer.id) as subscription:
            while time.monotonic() < deadline and not subscription.closed:
                for line in conversation(request, visitor_id, after):
                    after = max(after, line["id"])
                    if line["direction"] == "out" and line["route"] == "relay":
                        data = json.dumps(line, ensure_ascii=False)
                        await response.write(f"id: {line['id']}\ndata: {data}\n\n".encode())
                if not await subscription.wait(HEARTBEAT_SECONDS):
                    await response.write(b": ping\n\n")
    except ConnectionResetError:
        pass  # the visitor left: nothing to send them any more
    return response
