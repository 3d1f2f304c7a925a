"""Keeps a customer when their platform id changes (a new WhatsApp number); never replies."""

from __future__ import annotations

import logging

from bot.core.message import Event, Message, MessageKind, Reply
from bot.runtime.context import Context
from bot.runtime.router import Route

log = logging.getLogger(__name__)


def match(message: Message, ctx: Context) -> str | None:
    """The new id of an identity-changed event."""
    if message.kind is MessageKind.EVENT and message.event == Event.IDENTITY_CHANGED:
        return message.payload or ""
    return None


async def handle(message: Message, ctx: Context, new_id: str) -> list[Reply]:
    """Move the identity, so the next message from the new id reaches the same customer."""
    if new_id and new_id != message.user_id:
        moved = ctx.store.customers.change_identity(message.platform, message.user_id, new_id)
        if not moved:
            log.warning(
                "%s identity change of customer %s not applied: the new id is taken",
                message.platform, ctx.customer.id,
            )
    return []


ROUTE = Route(name="identity", match=match, handle=handle)
