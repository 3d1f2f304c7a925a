"""Arrivals (follow, /start, first contact) with the welcome gift, referral codes and invites."""

from __future__ import annotations

from bot.core.adapter import InviteKind
from bot.core.message import Message, Reply
from bot.runtime.context import Context
from bot.store.rewards.referrals import Attach
from handlers.rewards.common import follow_bonus_note, join

REFERRAL_PREFIX = "ref_"  # the payload of deep links, QR scenes and prefilled texts


def attach_note(ctx: Context, code: str) -> str:
    """Link the customer to the owner of `code`; the note saying what happened."""
    outcome = ctx.store.loyalty.referrals.attach(ctx.customer.id, code, ctx.now())
    # The texts that name the completing step have an "_order" variant.
    step = "_order" if ctx.config.rewards.referral_step == "order" else ""
    if outcome is Attach.LINKED:
        return ctx.text(f"rewards_referral_linked{step}",
                        points=ctx.config.rewards.referred_points)
    if outcome is Attach.NOT_NEW:
        return ctx.text(f"rewards_referral_not_new{step}")
    return ctx.text(f"rewards_referral_{outcome.value}")


async def arrive(message: Message, ctx: Context, code: str) -> list[Reply]:
    """Welcome a follower or /start: the welcome text, the once-ever gift, the referral."""
    welcome = ctx.text("welcome", brand=ctx.config.bot.brand)
    gift = follow_bonus_note(message, ctx)
    referral = attach_note(ctx, code) if code else ""
    return [Reply(text=join(welcome, gift, referral))]


async def referral_code(message: Message, ctx: Context, code: str) -> list[Reply]:
    """A referral code typed, scanned or prefilled: link to the referrer if allowed."""
    return [Reply(text=attach_note(ctx, code))]


# The canned text (replies.toml) that shows each kind of invite, with {url} or {code}.
INVITE_TEXTS = {
    InviteKind.LINK: "rewards_invite_{platform}",
    InviteKind.QR: "rewards_invite_{platform}_qr",
    InviteKind.PREPARING: "rewards_invite_{platform}_preparing",
    InviteKind.CODE: "rewards_invite_{platform}",
}


async def invite(message: Message, ctx: Context) -> list[Reply]:
    """The customer's personal code and an invite for each app we are on."""
    rules = ctx.config.rewards
    code = ctx.store.loyalty.referrals.code_for(ctx.customer.id, ctx.now())
    step = "_order" if rules.referral_step == "order" else ""
    lines = [ctx.text(f"rewards_invite{step}", code=code, referrer=rules.referrer_points,
                      referred=rules.referred_points)]
    prefill = ctx.text("rewards_whatsapp_prefill", code=code)
    # Each platform knows its own way in (deep link, click-to-chat, QR code).
    for name, platform in ctx.platforms.items():
        found = platform.invite(f"{REFERRAL_PREFIX}{code}", prefill)
        if found is not None:
            key = INVITE_TEXTS[found.kind].format(platform=name)
            lines.append(ctx.text(key, url=found.url, code=code))
    return [Reply(text="\n".join(lines))]
