"""Stays silent on emoji reactions: a 👍 on an answer is not a question."""

from __future__ import annotations

from bot.context import Context
from bot.message import Message, MessageKind, Reply
from bot.router import Route


def match(message: Message, ctx: Context) -> bool | None:
    """True for a reaction (added or removed)."""
    return True if message.kind is MessageKind.REACTION else None


async def handle(message: Message, ctx: Context, found: bool) -> list[Reply]:
    """No reply; the reaction is already in the conversation log."""
    return []


ROUTE = Route(name="reaction", match=match, handle=handle)
