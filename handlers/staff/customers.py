"""Customer commands: look someone up, block and unblock them."""

from __future__ import annotations

from bot.core.message import Customer, Reply
from bot.runtime.context import Context
from bot.staff import customers
from handlers.staff.command import Command, Invocation, text_reply, words

CONVERSATION_LINES = 8


def find_customer(ctx: Context, reference: str) -> Customer | None:
    """A customer by id ("c1a2b3…") or by platform identity ("telegram:12345")."""
    platform, colon, user_id = reference.partition(":")
    if colon and user_id:
        return ctx.store.customers.find(platform, user_id)
    return ctx.store.customers.get(reference)


def _customer(invocation: Invocation, ctx: Context) -> tuple[str, Customer | None]:
    (reference,) = words(invocation.arguments, 1)
    return reference, find_customer(ctx, reference)


async def who(invocation: Invocation, ctx: Context) -> list[Reply]:
    """A customer's identities, state, points and tier, and last conversation lines."""
    reference, customer = _customer(invocation, ctx)
    if customer is None:
        return text_reply(ctx.staff_text("staff_no_customer", customer=reference))
    lines = [
        ctx.staff_text("staff_who_customer", customer=customer.id,
                       name=customer.display_name).rstrip(),
        ctx.staff_text("staff_who_since", lang=customer.language,
                       since=f"{customer.created_at:%Y-%m-%d}")
        + (ctx.staff_text("staff_who_blocked") if customer.blocked else "")
        + (ctx.staff_text("staff_who_opted_in")
           if ctx.store.broadcasts.is_opted_in(customer.id) else ""),
    ]
    now = ctx.now()
    lines.append(ctx.staff_text(
        "staff_who_points", points=ctx.store.loyalty.balance(customer.id, now),
        tier=ctx.store.loyalty.standing.tier(customer.id, now),
    ))
    for identity in customer.identities:
        last = ctx.store.customers.last_inbound_at(identity.platform, identity.user_id)
        unreachable = ctx.store.customers.is_unreachable(identity.platform, identity.user_id)
        seen = (ctx.staff_text("staff_who_last_wrote", at=f"{last:%Y-%m-%d %H:%M}") if last
                else ctx.staff_text("staff_who_never_wrote"))
        lines.append(
            f"  {identity.platform}:{identity.user_id} {seen}"
            + (ctx.staff_text("staff_who_unreachable") if unreachable else "")
        )
    handoff = ctx.store.handoffs.open_for(customer.id)
    if handoff is not None:
        lines.append(f"handoff #{handoff.id} {handoff.status} {handoff.agent or ''}".rstrip())
    entries = ctx.store.conversations.recent(customer.id, CONVERSATION_LINES)
    if entries:
        lines.append(ctx.staff_text("staff_who_conversation"))
        lines.extend(
            f"  {entry.created_at:%m-%d %H:%M} {'>' if entry.direction == 'in' else '<'}"
            f" {entry.text[:120]}"
            for entry in entries
        )
    return text_reply(*lines)


async def _set_blocked(invocation: Invocation, ctx: Context, blocked: bool) -> list[Reply]:
    reference, customer = _customer(invocation, ctx)
    if customer is None:
        return text_reply(ctx.staff_text("staff_no_customer", customer=reference))
    state = "staff_blocked" if blocked else "staff_unblocked"
    if not customers.set_blocked(ctx.store, staff=invocation.staff, role=invocation.role,
                                 customer=customer, blocked=blocked, now=ctx.now()):
        return text_reply(ctx.staff_text(f"{state}_already", customer=customer.id))
    return text_reply(ctx.staff_text(f"{state}_now", customer=customer.id))


async def block(invocation: Invocation, ctx: Context) -> list[Reply]:
    """Stop answering a customer."""
    return await _set_blocked(invocation, ctx, True)


async def unblock(invocation: Invocation, ctx: Context) -> list[Reply]:
    """Answer a blocked customer again."""
    return await _set_blocked(invocation, ctx, False)


COMMANDS = (
    Command("who", "agent", "/who <customer id | platform:user_id> — look a customer up", who,
            ("查询",), True),
    Command("block", "admin", "/block <customer> — stop answering them", block, ("屏蔽",)),
    Command("unblock", "admin", "/unblock <customer> — answer them again", unblock,
            ("解除屏蔽",)),
)
