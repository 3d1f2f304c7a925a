"""Arrivals (follow, /start, first contact) with the welcome gift, referral codes and invites."""

from __future__ import annotations

from urllib.parse import quote

from bot.context import Context
from bot.message import Message, Reply
from bot.store.referrals import Attach
from bot.wechat_qr import cached_url
from handlers.loyalty import follow_bonus_note, join


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


def telegram_username(ctx: Context) -> str:
    """The bot's Telegram username, from [rewards] or the Telegram platform settings."""
    configured = ctx.config.rewards.telegram_bot_username
    if configured:
        return configured
    settings = ctx.config.platforms.get("telegram")
    username = getattr(settings, "bot_username", "") or getattr(settings, "username", "")
    return str(username).lstrip("@")


async def invite(message: Message, ctx: Context) -> list[Reply]:
    """The customer's personal code and an invite link for each app we are on."""
    rules = ctx.config.rewards
    code = ctx.store.loyalty.referrals.code_for(ctx.customer.id, ctx.now())
    step = "_order" if rules.referral_step == "order" else ""
    lines = [ctx.text(f"rewards_invite{step}", code=code, referrer=rules.referrer_points,
                      referred=rules.referred_points)]
    username = telegram_username(ctx)
    if username:
        lines.append(ctx.text("rewards_invite_telegram",
                              url=f"https://t.me/{username}?start=ref_{code}"))
    if rules.whatsapp_number:
        prefill = quote(ctx.text("rewards_whatsapp_prefill", code=code))
        lines.append(ctx.text("rewards_invite_whatsapp",
                              url=f"https://wa.me/{rules.whatsapp_number}?text={prefill}"))
    qr_service = ctx.extras.get("wechat_qr")
    if qr_service is not None:
        url = cached_url(ctx.store, code)
        if url:
            lines.append(ctx.text("rewards_invite_wechat_qr", url=url))
        else:
            # The QR code is created through WeChat's API by a background service, not here.
            qr_service.wake()
            lines.append(ctx.text("rewards_invite_wechat_preparing"))
    elif "wechat" in ctx.config.platforms:
        lines.append(ctx.text("rewards_invite_wechat", code=code))
    return [Reply(text="\n".join(lines))]
