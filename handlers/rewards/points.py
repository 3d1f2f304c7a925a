"""'积分' / /points: balance, tier and progress, recent history, what expires soon; leaderboard."""

from __future__ import annotations

from datetime import timedelta

from bot.config.rewards import TIERS
from bot.core.message import Button, Message, Reply
from bot.runtime.context import Context
from bot.store.rewards.ledger import LedgerEntry
from handlers.rewards.common import join, mask_name, tier_name

KNOWN_REASONS = {"follow_bonus", "checkin", "streak_bonus", "referral", "referred", "redeem",
                 "expire"}


def _history_line(ctx: Context, entry: LedgerEntry) -> str:
    reason = entry.reason if entry.reason in KNOWN_REASONS else "other"
    day = entry.created_at.astimezone(ctx.config.bot.zone).strftime("%m-%d")
    return ctx.text("rewards_history_line", date=day, label=ctx.text(f"rewards_reason_{reason}"),
                    points=f"{entry.points:+d}")


async def points(message: Message, ctx: Context) -> list[Reply]:
    """The customer's points, tier, progress, recent history and soon-expiring points."""
    loyalty = ctx.store.loyalty
    rules = ctx.config.rewards
    now = ctx.now()
    customer_id = ctx.customer.id
    balance = loyalty.balance(customer_id, now)
    tier = loyalty.standing.tier(customer_id, now)
    earned = loyalty.standing.tier_points(customer_id, now)
    if tier == TIERS[-1]:
        progress = ctx.text("rewards_progress_top")
    else:
        higher = TIERS[TIERS.index(tier) + 1]
        progress = ctx.text("rewards_progress", points=rules.threshold(higher) - earned,
                            tier=tier_name(ctx, higher))
    summary = ctx.text("rewards_points", balance=balance, tier=tier_name(ctx, tier),
                       days=rules.tier_period_days, earned=earned, progress=progress)
    entries = loyalty.history(customer_id, rules.history_size)
    if entries:
        history = "\n".join([ctx.text("rewards_history_title"),
                             *(_history_line(ctx, entry) for entry in entries)])
    else:
        history = ctx.text("rewards_history_empty")
    expiring = "\n".join(
        ctx.text("rewards_expiring", points=soon.points,
                 date=soon.expires_at.astimezone(ctx.config.bot.zone).date().isoformat())
        for soon in loyalty.expiring(customer_id, now, timedelta(days=rules.expiry_warning_days))
    )
    buttons = (Button("rewards:checkin", ctx.text("rewards_button_checkin")),
               Button("rewards:catalogue", ctx.text("rewards_button_catalogue")))
    return [Reply(text=join(summary, history, expiring), buttons=buttons)]


def _display_name(ctx: Context, customer_id: str) -> str:
    customer = ctx.store.customers.get(customer_id)
    masked = mask_name(customer.display_name) if customer is not None else ""
    return masked or ctx.text("rewards_anonymous")


async def leaderboard(message: Message, ctx: Context) -> list[Reply]:
    """Top fans this month by points earned, names masked, and the asker's own rank."""
    loyalty = ctx.store.loyalty
    now = ctx.now()
    ranking = loyalty.standing.ranking(now)
    size = ctx.config.rewards.leaderboard_size
    if ranking:
        lines = [ctx.text("rewards_top_title")]
        lines += [
            ctx.text("rewards_top_line", rank=rank, name=_display_name(ctx, account),
                     points=earned)
            for rank, (account, earned) in enumerate(ranking[:size], start=1)
        ]
        board = "\n".join(lines)
    else:
        board = ctx.text("rewards_top_empty")
    account = loyalty.root(ctx.customer.id)
    if not loyalty.standing.is_leaderboard_visible(account):
        mine = ctx.text("rewards_top_hidden")
    else:
        place = next(
            ((rank, earned) for rank, (who, earned) in enumerate(ranking, start=1)
             if who == account),
            None,
        )
        mine = (ctx.text("rewards_top_you", rank=place[0], points=place[1]) if place
                else ctx.text("rewards_top_you_none"))
    return [Reply(text=join(board, mine))]


async def leaderboard_visibility(message: Message, ctx: Context, visible: bool) -> list[Reply]:
    """Opt out of (or back into) the leaderboard."""
    ctx.store.loyalty.standing.set_leaderboard_visible(ctx.customer.id, visible, ctx.now())
    return [Reply(text=ctx.text("rewards_top_on" if visible else "rewards_top_off"))]
