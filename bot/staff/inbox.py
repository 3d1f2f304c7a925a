"""Taking, answering and releasing handoffs, for `/take` and `/release` and the console inbox.

Each step returns what happened and the replies addressed to the customer (and to the staff
chat); the caller delivers them: a chat command returns them, the console hands them to
`Outgoing.deliver`. Every change is an audit row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from bot.core.message import Message, Reply
from bot.runtime.context import Context
from bot.staff import handoff as handoffs
from bot.staff.roles import allows
from bot.store.staff.handoffs import Handoff


class Step(StrEnum):
    """What became of a take, a reply or a release."""

    DONE = "done"
    MISSING = "missing"  # no such conversation
    HELD = "held"  # the staff member already holds it
    TAKEN = "taken"  # claimed by someone else, or closed
    NOT_YOURS = "not_yours"  # only the holder (or an admin) may do this
    CLOSED = "closed"  # not open any more (the idle timeout may have closed it)


@dataclass(frozen=True, slots=True)
class Outcome:
    """The step's result, the handoff as it was, and replies for others to deliver."""

    step: Step
    handoff: Handoff | None = None
    replies: list[Reply] = field(default_factory=list)


def _audit(ctx: Context, staff: str, role: str, action: str, handoff_id: int, **change: object
           ) -> None:
    ctx.store.staff.audit(
        staff=staff, role=role, action=action, target=f"#{handoff_id}", now=ctx.now(),
        before=change.get("before"), after=change.get("after"),
    )


def take(ctx: Context, handoff_id: int, staff: str, role: str, sender: Message | None) -> Outcome:
    """Claim a queued conversation; the customer is told a person joined."""
    closed = handoffs.expire_idle(ctx, sender)
    item = ctx.store.handoffs.get(handoff_id)
    if item is None:
        return Outcome(Step.MISSING, None, closed)
    if item.status == "claimed" and item.agent == staff:
        return Outcome(Step.HELD, item, closed)
    if not (item.status == "queued" and ctx.store.handoffs.claim(handoff_id, staff, ctx.now())):
        return Outcome(Step.TAKEN, item, closed)
    _audit(ctx, staff, role, "handoff.take", handoff_id, after={"agent": staff})
    joined = handoffs.customer_text(ctx, item, "handoff_joined")
    return Outcome(
        Step.DONE, item, [*closed, Reply(text=joined, to=handoffs.customer_address(item))]
    )


def answer(ctx: Context, handoff_id: int, staff: str, role: str, text: str) -> Outcome:
    """An agent's message to the customer of a conversation they hold (an audit row too)."""
    item = ctx.store.handoffs.get(handoff_id)
    if item is None:
        return Outcome(Step.MISSING)
    if item.status != "claimed":
        return Outcome(Step.CLOSED, item)
    if item.agent != staff:
        return Outcome(Step.NOT_YOURS, item)
    if handoffs.is_idle(ctx, item):
        return Outcome(Step.CLOSED, item, handoffs.close(ctx, item, "timeout", None))
    ctx.store.handoffs.touch(item.id, ctx.now())
    _audit(ctx, staff, role, "handoff.reply", handoff_id, after={"text": text})
    said = handoffs.customer_text(ctx, item, "handoff_agent_says", text=text)
    return Outcome(Step.DONE, item, [Reply(text=said, to=handoffs.customer_address(item))])


def release(
    ctx: Context, handoff_id: int, staff: str, role: str, sender: Message | None
) -> Outcome:
    """Hand a conversation back to the bot (one's own; admins may release any)."""
    item = ctx.store.handoffs.get(handoff_id)
    if item is None or item.status == "closed":
        return Outcome(Step.CLOSED if item else Step.MISSING, item)
    if item.agent != staff and not allows(role, "admin"):
        return Outcome(Step.NOT_YOURS, item)
    replies = handoffs.close(ctx, item, "released", sender)
    _audit(ctx, staff, role, "handoff.release", handoff_id, before={"agent": item.agent})
    return Outcome(Step.DONE, item, replies)
