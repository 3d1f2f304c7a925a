"""Lets a handler that did its own part pass the message on to the routes after it."""

from __future__ import annotations

from bot.context import Context
from bot.message import Message, Reply
from bot.router import Route


async def answer_after(route: Route, message: Message, ctx: Context) -> list[Reply]:
    """The answer the first matching route after `route` gives (ROUTES order)."""
    from handlers import ROUTES  # imported here: handlers/__init__ imports every handler

    later = ROUTES[ROUTES.index(route) + 1 :] if route in ROUTES else ()
    for candidate in later:
        found = candidate.match(message, ctx)
        if found is not None:
            return list(await candidate.handle(message, ctx, found))
    return []
