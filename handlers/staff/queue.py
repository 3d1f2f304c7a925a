"""Handoff commands for agents: the queue, taking a conversation, handing it back."""

from __future__ import annotations

from bot.core.errors import UsageError
from bot.core.message import Reply
from bot.runtime.context import Context
from bot.staff import handoff as handoffs
from bot.staff import inbox
from handlers.staff.command import Command, Invocation, text_reply


def _number(text: str) -> int:
    value = text.strip().removeprefix("#")
    if not value.isdigit():
        raise UsageError
    return int(value)


async def queue(invocation: Invocation, ctx: Context) -> list[Reply]:
    """Conversations waiting for a person or held by one."""
    if invocation.arguments.strip():
        raise UsageError
    closed = handoffs.expire_idle(ctx, invocation.message)
    waiting = ctx.store.handoffs.waiting()
    if not waiting:
        return [*closed, *text_reply(ctx.staff_text("staff_queue_empty"))]
    lines = [
        f"#{item.id} {item.status} {item.platform}:{item.user_id} since"
        f" {item.requested_at:%m-%d %H:%M}" + (f" — {item.agent}" if item.agent else "")
        for item in waiting
    ]
    return [*closed, *text_reply(*lines)]


async def take(invocation: Invocation, ctx: Context) -> list[Reply]:
    """Claim a queued conversation: the agent gets the transcript, the customer is told."""
    number = _number(invocation.arguments)
    taken = inbox.take(ctx, number, invocation.staff, invocation.role, invocation.message)
    item = taken.handoff
    if item is None:
        return [*taken.replies,
                *text_reply(ctx.staff_text("staff_no_conversation", number=number))]
    if taken.step is inbox.Step.HELD:
        return [*taken.replies, *text_reply(ctx.staff_text("staff_take_already", number=number))]
    if taken.step is not inbox.Step.DONE:
        key = "staff_take_held" if item.agent else "staff_take_status"
        text = ctx.staff_text(key, number=number, status=item.status, agent=item.agent or "")
        return [*taken.replies, *text_reply(text)]
    held = len(ctx.store.handoffs.held_by(invocation.staff))
    lines = [
        ctx.staff_text("staff_take_yours", number=number,
                       identity=f"{item.platform}:{item.user_id}", customer=item.customer_id),
        *handoffs.transcript(ctx, item.customer_id),
        ctx.staff_text("staff_take_how_plain" if held == 1 else "staff_take_how", number=number),
    ]
    # The agent's own lines first, then the customer's "a person joined" (as before).
    *closed, joined = taken.replies
    return [*closed, *text_reply(*lines), joined]


async def release(invocation: Invocation, ctx: Context) -> list[Reply]:
    """Hand a conversation back to the bot (yours; admins may release any)."""
    if invocation.arguments.strip():
        number = _number(invocation.arguments)
    else:
        held = ctx.store.handoffs.held_by(invocation.staff)
        if len(held) != 1:
            raise UsageError
        number = held[0].id
    released = inbox.release(ctx, number, invocation.staff, invocation.role, invocation.message)
    if released.step in (inbox.Step.MISSING, inbox.Step.CLOSED):
        return text_reply(ctx.staff_text("staff_release_not_open", number=number))
    if released.step is inbox.Step.NOT_YOURS:
        holder = released.handoff.agent if released.handoff else None
        return text_reply(
            ctx.staff_text("staff_release_not_yours", number=number, agent=holder or "-")
        )
    return [*released.replies, *text_reply(ctx.staff_text("staff_released", number=number))]


COMMANDS = (
    Command("handoffs", "agent", "/handoffs — who is waiting for a person", queue, ("排队",),
            True),
    Command("take", "agent", "/take <conversation> — answer a customer yourself", take,
            ("接入",), True),
    Command("release", "agent", "/release [conversation] — hand it back to the bot", release,
            ("结束",), True),
)
