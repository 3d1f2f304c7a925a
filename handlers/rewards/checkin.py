"""Daily check-in: points, streak and next milestone; completes a pending referral."""

from __future__ import annotations

from bot.core.message import Message, Reply
from bot.runtime.context import Context
from handlers.rewards.common import address_of, delivery_key, earns_points, join


def milestone_text(ctx: Context, streak: int) -> str:
    """'N more days for a B-point bonus', or '' when no bonus lies ahead."""
    upcoming = ctx.store.loyalty.checkins.next_milestone(streak)
    if upcoming is None:
        return ""
    days, bonus = upcoming
    return ctx.text("rewards_checkin_milestone", days=days, bonus=bonus)


async def checkin(message: Message, ctx: Context) -> list[Reply]:
    """Check the customer in for today (once a day in the brand's time zone)."""
    loyalty = ctx.store.loyalty
    now = ctx.now()
    customer_id = ctx.customer.id
    if not earns_points(ctx):
        return [Reply(text=ctx.text("rewards_web_no_points"))]
    result = loyalty.checkins.check_in(customer_id, delivery_key(message, "day"), now)
    if not result.fresh:
        text = ctx.text(
            "rewards_checkin_already", streak=result.streak,
            milestone=milestone_text(ctx, result.streak),
            balance=loyalty.balance(customer_id, now),
        )
        return [Reply(text=text)]
    replies: list[Reply] = []
    notes: list[str] = []
    completed = None
    if ctx.config.rewards.referral_step == "checkin":
        completed = loyalty.referrals.complete(
            customer_id, delivery_key(message, "referral"), now
        )
    if completed is not None:
        if completed.referred_points:
            notes.append(
                ctx.text("rewards_referral_done_referred", points=completed.referred_points)
            )
        address = address_of(ctx, completed.referrer_id)
        if address is not None and completed.referrer_points:
            text = ctx.texts.get(
                "rewards_referral_done_referrer", _language_of(ctx, completed.referrer_id),
                points=completed.referrer_points,
            )
            replies.append(Reply(text=text, to=address))
    bonus = ctx.text("rewards_checkin_bonus", bonus=result.bonus) if result.bonus else ""
    text = ctx.text(
        "rewards_checkin_done", points=result.points, bonus=bonus, streak=result.streak,
        milestone=milestone_text(ctx, result.streak), balance=loyalty.balance(customer_id, now),
    )
    return [Reply(text=join(text, *notes)), *replies]


def _language_of(ctx: Context, customer_id: str) -> str:
    customer = ctx.store.customers.get(customer_id)
    return customer.language if customer is not None else ctx.config.bot.default_language
