"""'绑定' / /link: a one-time code in one app; sending it from another app merges the accounts."""

from __future__ import annotations

from bot.core.message import WEB_PLATFORM, Message, Reply
from bot.runtime.context import Context
from bot.store.rewards.links import Linked


async def link(message: Message, ctx: Context) -> list[Reply]:
    """A fresh short-lived link code to send from the customer's other app."""
    code = ctx.store.loyalty.links.issue(ctx.customer.id, ctx.now())
    return [Reply(text=ctx.text("rewards_link_code", code=code,
                                minutes=ctx.config.rewards.link_code_minutes))]


async def use_link_code(message: Message, ctx: Context, code: str) -> list[Reply]:
    """Merge this customer into the account that issued `code` (exactly once)."""
    loyalty = ctx.store.loyalty
    now = ctx.now()
    vouched = ctx.store.customers.has_identity_beyond(ctx.customer.id, WEB_PLATFORM)
    outcome = loyalty.links.use(
        code, ctx.customer.id, now, source=message.origin, vouched=vouched
    )
    if outcome is Linked.MERGED:
        return [Reply(text=ctx.text("rewards_link_merged",
                                    balance=loyalty.balance(ctx.customer.id, now)))]
    if outcome is Linked.LIMITED and not vouched:
        # The way that always works: a code from here, typed in the app.
        return [Reply(text=ctx.text("rewards_link_limited_web"))]
    return [Reply(text=ctx.text(f"rewards_link_{outcome.value}"))]
