"""Stays silent on emoji reactions: a 👍 on an answer is not a question."""

from __future__ import annotations

from bot.core.message import Message, MessageKind, Reply
from bot.runtime.context import Context
from bot.runtime.router import Route


def match(message: Message, ctx: Context) -> bool | None:
    """True for a reaction (added or removed)."""
    return True if message.kind is MessageKind.REACTION else None


async def handle(message: Message, ctx: Context, found: bool) -> list[Reply]:
    """No reply; the reaction is already in the conversation log."""
    return []


ROUTE = Route(name="reaction", match=match, handle=handle)
