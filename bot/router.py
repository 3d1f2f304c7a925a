"""The router: the first route whose match accepts a message handles it; it always answers."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from bot.context import Context
from bot.message import Message, Reply

log = logging.getLogger(__name__)

Match = Callable[[Message, Context], Any]
Handle = Callable[[Message, Context, Any], Awaitable[list[Reply]]]


@dataclass(frozen=True, slots=True)
class Route:
    """One handler: `match` returns what it understood (None: not mine), `handle` answers."""

    name: str
    match: Match
    handle: Handle


@dataclass(frozen=True, slots=True)
class Routed:
    """Which route answered and with what."""

    route: str
    replies: list[Reply]


class Router:
    """Dispatches a message along an explicit ordered list of routes."""

    def __init__(self, routes: Sequence[Route]) -> None:
        if not routes:
            raise ValueError("a router needs at least one route")
        self.routes = tuple(routes)

    async def dispatch(self, message: Message, ctx: Context) -> Routed:
        """Answer `message` with the first matching route; apologise if a handler fails."""
        for route in self.routes:
            try:
                found = route.match(message, ctx)
                if found is None:
                    continue
                replies = await route.handle(message, ctx, found)
            except Exception:
                log.exception(
                    "route %s failed on %s message %s", route.name, message.platform,
                    message.message_id,
                )
                return Routed("error", [Reply(text=ctx.text("apology"))])
            return Routed(route.name, list(replies))
        log.error("no route matched %s message %s", message.platform, message.message_id)
        return Routed("none", [Reply(text=ctx.text("fallback"))])
