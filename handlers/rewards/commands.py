"""Points commands for admins: /grant and /deduct (big ones as a dry run, then /confirm)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.core.errors import UsageError
from bot.core.message import Reply
from bot.runtime.context import Context
from bot.staff import points as points_rules
from bot.staff.roles import CONFIRM_TTL
from handlers.staff.command import Command, Confirmed, Invocation, Run, text_reply
from handlers.staff.customers import find_customer


def _parse(arguments: str) -> tuple[str, int, str]:
    """<customer> <points> <reason>: a positive whole number and a reason of some words."""
    parts = arguments.split(None, 2)
    if len(parts) != 3 or not parts[1].isdecimal():
        raise UsageError
    points = int(parts[1])
    if not 0 < points <= points_rules.MOST_POINTS:
        raise UsageError
    return parts[0], points, parts[2].strip()


def _key(invocation: Invocation, action: str) -> str:
    """The ledger key of this command: its delivery key, so a redelivery never pays twice."""
    message = invocation.message
    return f"staff:{action}:{message.platform}:{message.message_id}"


def _change(action: str) -> Run:
    async def run(invocation: Invocation, ctx: Context) -> list[Reply]:
        reference, points, reason = _parse(invocation.arguments)
        customer = find_customer(ctx, reference)
        if customer is None:
            return text_reply(ctx.staff_text("staff_no_customer", customer=reference))
        key = _key(invocation, action)
        balance = ctx.store.loyalty.balance(customer.id, ctx.now())
        if action == "deduct" and points > balance:
            return _too_few(ctx, customer.id, points, balance)
        if not points_rules.needs_confirmation(ctx.config, points):
            return _apply(invocation, ctx, action, customer.id, points, reason, key)
        after = balance + points if action == "grant" else balance - points
        summary = ctx.staff_text(
            f"staff_points_{action}_summary", points=points, customer=customer.id,
            before=balance, after=after, reason=reason,
        )
        code = ctx.store.staff.request_confirmation(
            staff=invocation.staff, action=action,
            arguments={"customer": customer.id, "points": points, "reason": reason, "key": key},
            summary=summary, now=ctx.now(), ttl=CONFIRM_TTL,
        )
        minutes = int(CONFIRM_TTL.total_seconds() // 60)
        return text_reply(
            ctx.staff_text("staff_points_dry_run", summary=summary),
            ctx.staff_text("staff_points_confirm", above=ctx.config.staff.confirm_points_above,
                           code=code, minutes=minutes),
        )

    return run


def _too_few(ctx: Context, customer_id: str, points: int, balance: int) -> list[Reply]:
    return text_reply(ctx.staff_text("staff_points_too_few", customer=customer_id,
                                     balance=balance, points=points))


def _apply(
    invocation: Invocation, ctx: Context, action: str, customer_id: str, points: int,
    reason: str, key: str,
) -> list[Reply]:
    """Write the ledger row and its audit row together, once per key."""
    adjusted = points_rules.adjust(
        ctx.store, staff=invocation.staff, role=invocation.role, action=action,
        customer_id=customer_id, points=points, reason=reason, key=key, now=ctx.now(),
    )
    if adjusted.outcome is points_rules.Outcome.DUPLICATE:
        return text_reply(ctx.staff_text(f"staff_points_{action}_done_before"))
    if adjusted.outcome is points_rules.Outcome.TOO_FEW:
        return _too_few(ctx, customer_id, points, adjusted.before)
    return text_reply(ctx.staff_text(f"staff_points_{action}ed", points=points, reason=reason,
                                     customer=customer_id, after=adjusted.after))


def _confirmed(action: str) -> Confirmed:
    async def run(
        invocation: Invocation, ctx: Context, arguments: Mapping[str, Any]
    ) -> list[Reply]:
        return _apply(
            invocation, ctx, action, str(arguments["customer"]), int(arguments["points"]),
            str(arguments["reason"]), str(arguments["key"]),
        )

    return run


COMMANDS = (
    Command("grant", "admin",
            "/grant <customer> <points> <reason> — add points (big grants: dry run, /confirm)",
            _change("grant"), ("加积分",)),
    Command("deduct", "admin",
            "/deduct <customer> <points> <reason> — take points (never below zero)",
            _change("deduct"), ("扣积分",)),
)
CONFIRMED = {"grant": _confirmed("grant"), "deduct": _confirmed("deduct")}
