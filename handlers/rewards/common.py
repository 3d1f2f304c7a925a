"""Helpers shared by the fan-reward handlers: delivery keys, tier names and notes, name masking."""

from __future__ import annotations

from bot.config.rewards import TIERS
from bot.core.message import WEB_PLATFORM, Address, Message
from bot.runtime.context import Context

TIER_SEEN = "loyalty:tier:"


def delivery_key(message: Message, purpose: str) -> str:
    """The idempotency key of a points change caused by `message`."""
    return f"{message.platform}:{message.message_id}:{purpose}"


def tier_name(ctx: Context, tier: str) -> str:
    """A tier's name in the customer's language (铁粉 / 银粉 / 金粉)."""
    return ctx.text(f"tier_{tier}")


def tier_note(ctx: Context) -> str:
    """An announcement if the customer's tier changed since we last told them, else ''."""
    loyalty = ctx.store.loyalty
    now = ctx.now()
    account = loyalty.root(ctx.customer.id)
    tier = loyalty.standing.tier(account, now)
    key = TIER_SEEN + account
    known = ctx.store.kv.get(key)
    if known == tier:
        return ""
    ctx.store.kv.set(key, tier, now)
    if known is None and tier == "bronze":
        return ""
    if known is None or TIERS.index(tier) > TIERS.index(known):
        multiplier = f"{ctx.config.rewards.multiplier(tier):g}"
        return ctx.text("rewards_tier_up", tier=tier_name(ctx, tier), multiplier=multiplier)
    return ctx.text(
        "rewards_tier_changed", tier=tier_name(ctx, tier), days=ctx.config.rewards.tier_period_days
    )


def earns_points(ctx: Context) -> bool:
    """Whether the customer may earn points: known from an app, or web points allowed."""
    return ctx.config.rewards.web_points or ctx.store.customers.has_identity_beyond(
        ctx.customer.id, WEB_PLATFORM
    )


def follow_bonus_note(message: Message, ctx: Context) -> str:
    """Credit the once-ever welcome gift if the customer never had it; its note, else ''."""
    points = ctx.config.rewards.follow_bonus
    if not points or not earns_points(ctx):
        return ""
    granted = ctx.store.loyalty.award_once(
        ctx.customer.id, points, "follow_bonus", message.platform,
        delivery_key(message, "follow"), ctx.now(),
    )
    return ctx.text("rewards_follow_bonus", points=points) if granted else ""


def address_of(ctx: Context, customer_id: str) -> Address | None:
    """Where to tell a customer something: their most recently active reachable identity."""
    identities = ctx.store.customers.reachable_identities(customer_id)
    if not identities:
        return None
    identity = identities[0]
    return Address(identity.platform, identity.user_id, identity.user_id)


def mask_name(name: str) -> str:
    """A name for public display: 王小明 → 王**, Li Wei → Li***."""
    name = name.strip()
    if not name:
        return ""
    if not name[0].isascii():
        return name[0] + "*" * max(1, len(name) - 1)
    return name[:2] + "***"


def join(*parts: str) -> str:
    """Non-empty parts, one paragraph each."""
    return "\n\n".join(part for part in parts if part)
