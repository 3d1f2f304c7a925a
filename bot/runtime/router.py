"""The router: the first route whose match accepts a message handles it; it always answers."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from bot.config import Config
from bot.core.errors import StoreBusy
from bot.core.message import Message, Reply
from bot.runtime.context import Context

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Continue:
    """A handler's answer that is not the whole answer: these replies, then the next route's."""

    replies: list[Reply]


Match = Callable[[Message, Context], Any]
Handle = Callable[[Message, Context, Any], Awaitable["list[Reply] | Continue"]]


@dataclass(frozen=True, slots=True)
class MenuCommand:
    """A /command a route answers, for the platforms' command menus (Telegram's "/" list)."""

    command: str  # without the slash: 1-32 of a-z 0-9 _
    text_key: str  # its description, a canned text of replies.toml
    offered: Callable[[Config], bool] = lambda config: True  # e.g. only with rewards on
    rank: int = 50  # menus list lower ranks first (/start, /help), then in route order


@dataclass(frozen=True, slots=True)
class Route:
    """One handler: `match` returns what it understood (None: not mine), `handle` answers."""

    name: str
    match: Match
    handle: Handle
    menu: tuple[MenuCommand, ...] = ()  # the /commands it answers, for command menus


def menu_of(routes: Sequence[Route], config: Config) -> list[MenuCommand]:
    """The /commands the routes answer with this configuration, in route order, each once."""
    seen: set[str] = set()
    found = []
    for route in routes:
        for entry in route.menu:
            if entry.command not in seen and entry.offered(config):
                seen.add(entry.command)
                found.append(entry)
    return sorted(found, key=lambda entry: entry.rank)  # stable: route order within a rank


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
        """Answer `message` with the first matching route; apologise if a handler fails.

        A route that answers with Continue keeps its replies and lets the routes after it
        answer too; the first route that answered names the outcome.
        """
        replies: list[Reply] = []
        first = ""
        for route in self.routes:
            try:
                found = route.match(message, ctx)
                if found is None:
                    continue
                answer = await route.handle(message, ctx, found)
            except StoreBusy:
                raise  # not the handler's fault: the message is handled again later
            except Exception:
                log.exception(
                    "route %s failed on %s message %s", route.name, message.platform,
                    message.message_id,
                )
                return Routed("error", [Reply(text=ctx.text("apology"))])
            first = first or route.name
            if isinstance(answer, Continue):
                replies.extend(answer.replies)
                continue
            return Routed(first, [*replies, *answer])
        if first:
            return Routed(first, replies)
        log.error("no route matched %s message %s", message.platform, message.message_id)
        return Routed("none", [Reply(text=ctx.text("fallback"))])
