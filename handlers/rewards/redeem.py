"""The reward catalogue and redemption ("兑换 3" or a button)."""

from __future__ import annotations

from bot.config.rewards import RewardItem
from bot.core.message import Button, Message, Reply
from bot.runtime.context import Context
from bot.store.rewards.catalogue import Redeemed
from handlers.rewards.common import delivery_key, join, tier_name

REDEEM_BUTTON = "rewards:redeem:"
MAX_BUTTONS = 3  # WhatsApp shows at most three reply buttons


def _item_line(ctx: Context, item: RewardItem) -> str:
    requirement = ""
    if item.min_tier != "bronze":
        requirement = ctx.text("rewards_catalogue_requirement", tier=tier_name(ctx, item.min_tier))
    return ctx.text(
        "rewards_catalogue_item", number=item.number, name=item.name(ctx.language),
        cost=item.cost, requirement=requirement,
        left=ctx.store.loyalty.catalogue.left(item.number),
    )


async def catalogue(message: Message, ctx: Context) -> list[Reply]:
    """What can be redeemed, at what cost, with stock left; buttons for the first few."""
    items = ctx.config.rewards.catalogue
    if not items:
        return [Reply(text=ctx.text("rewards_catalogue_empty"))]
    balance = ctx.store.loyalty.balance(ctx.customer.id, ctx.now())
    lines = [ctx.text("rewards_catalogue_title", balance=balance)]
    lines += [_item_line(ctx, item) for item in items]
    buttons = tuple(
        Button(f"{REDEEM_BUTTON}{item.number}",
               ctx.text("rewards_button_redeem", number=item.number))
        for item in items[:MAX_BUTTONS]
    )
    return [Reply(text=join("\n".join(lines), ctx.text("rewards_catalogue_hint")),
                  buttons=buttons)]


async def redeem(message: Message, ctx: Context, number: int) -> list[Reply]:
    """Deduct the cost and hand out one code, or explain why nothing changed."""
    item = ctx.config.rewards.reward(number)
    if item is None:
        return [Reply(text=ctx.text("rewards_redeem_unknown", number=number))]
    loyalty = ctx.store.loyalty
    now = ctx.now()
    result = loyalty.catalogue.redeem(ctx.customer.id, item, delivery_key(message, "redeem"), now)
    balance = loyalty.balance(ctx.customer.id, now)
    name = item.name(ctx.language)
    if result.outcome in (Redeemed.OK, Redeemed.REPEAT):
        text = ctx.text("rewards_redeem_ok", name=name, code=result.code, cost=item.cost,
                        balance=balance)
    elif result.outcome is Redeemed.TIER_TOO_LOW:
        text = ctx.text("rewards_redeem_tier_too_low", name=name,
                        tier=tier_name(ctx, item.min_tier))
    elif result.outcome is Redeemed.OUT_OF_STOCK:
        text = ctx.text("rewards_redeem_out_of_stock", name=name)
    else:
        text = ctx.text("rewards_redeem_not_enough", name=name, cost=item.cost, balance=balance)
    return [Reply(text=text)]
