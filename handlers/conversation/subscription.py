"""Customers opt in to broadcasts ("订阅" / "subscribe") and out ("退订" / "unsubscribe")."""

from __future__ import annotations

from bot.core.message import Message, MessageKind, Reply
from bot.runtime.context import Context
from bot.runtime.router import Route

OPT_IN = {"订阅", "訂閱", "subscribe", "/subscribe"}
OPT_OUT = {"退订", "退訂", "unsubscribe", "/unsubscribe"}


def match(message: Message, ctx: Context) -> bool | None:
    """True for an opt-in word, False for an opt-out word, else None."""
    if message.kind not in (MessageKind.TEXT, MessageKind.COMMAND):
        return None
    word = message.text.strip().casefold().rstrip("!！。.")
    if word in OPT_IN:
        return True
    if word in OPT_OUT:
        return False
    return None


async def handle(message: Message, ctx: Context, opted_in: bool) -> list[Reply]:
    """Record the choice and confirm it."""
    ctx.store.broadcasts.set_opted_in(ctx.customer.id, opted_in, ctx.now())
    return [Reply(text=ctx.text("subscribed" if opted_in else "unsubscribed"))]


ROUTE = Route(name="subscription", match=match, handle=handle)
