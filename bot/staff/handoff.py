"""Human handoff outside a chat turn: duty hours, idle timeouts, closing and rating requests.

Both the handoff route (handlers/staff/handoff.py) and the timer that closes idle
conversations when nobody writes (bot/staff/timer.py) close conversations through here.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from bot.core.message import Address, Button, Message, Reply
from bot.runtime.context import Context
from bot.staff.roles import staff_chat
from bot.store.staff.handoffs import Handoff

RATE_PREFIX = "handoff:rate:"
RATING_FLOW = "handoff.rating"
RATING_TTL = timedelta(days=1)
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def is_on_duty(ctx: Context, now: datetime) -> bool:
    """Whether staff are on duty now by the configured business hours (brand time zone)."""
    settings = ctx.config.handoff
    local = now.astimezone(ctx.config.bot.zone)
    if WEEKDAYS[local.weekday()] not in settings.days:
        return False
    opens = _time(settings.opens)
    closes = _time(settings.closes)
    return opens <= local.time() < closes if closes > opens else local.time() >= opens


def _time(text: str) -> time:
    hours, minutes = (int(part) for part in text.split(":"))
    return time(23, 59, 59) if hours == 24 else time(hours, minutes)


def is_idle(ctx: Context, handoff: Handoff) -> bool:
    """Whether a claimed conversation has been quiet longer than the idle timeout."""
    timeout = timedelta(minutes=ctx.config.handoff.idle_timeout_minutes)
    return handoff.status == "claimed" and ctx.now() - handoff.active_at >= timeout


def customer_address(handoff: Handoff) -> Address:
    """Where the customer of a handoff is reached."""
    return Address(handoff.platform, handoff.chat_id, handoff.user_id)


def agent_address(ctx: Context, handoff: Handoff) -> Address | None:
    """Where messages for the handling agent go: the staff chat, else the agent's own chat."""
    room = staff_chat(ctx)
    if room is not None:
        return room
    if handoff.agent:
        platform, _, user_id = handoff.agent.partition(":")
        return Address(platform, user_id, user_id)
    return None


def customer_text(ctx: Context, handoff: Handoff, key: str, **values: object) -> str:
    customer = ctx.store.customers.get(handoff.customer_id)
    language = customer.language if customer else ctx.config.bot.default_language
    return ctx.texts.get(key, language, **values)


def transcript(ctx: Context, customer_id: str) -> list[str]:
    """The customer's latest conversation lines, for staff."""
    entries = ctx.store.conversations.recent(customer_id, ctx.config.handoff.transcript_lines)
    return [
        f"{'>' if entry.direction == 'in' else '<'} {entry.text[:200]}" for entry in entries
    ]


def close(ctx: Context, handoff: Handoff, reason: str, sender: Message | None) -> list[Reply]:
    """Hand a conversation back to the bot and ask the customer to rate it.

    A reply to the sender's own chat is returned without an address, so it is their answer.
    """
    now = ctx.now()
    if not ctx.store.handoffs.close(handoff.id, reason, now):
        return []
    key = "handoff_ended_idle" if reason == "timeout" else "handoff_ended"
    buttons = tuple(Button(f"{RATE_PREFIX}{handoff.id}:{n}", str(n)) for n in range(1, 6))
    ctx.store.states.open(
        handoff.customer_id, RATING_FLOW, now, RATING_TTL, {"handoff": handoff.id}
    )
    # A bare digit from the customer answers the last offered buttons (pipeline): make it ours.
    ctx.store.menus.remember(
        handoff.customer_id, [(button.id, button.title) for button in buttons], now, RATING_TTL
    )
    to_customer = customer_address(handoff)
    replies = [Reply(text=customer_text(ctx, handoff, key), buttons=buttons, to=to_customer)]
    agent = agent_address(ctx, handoff)
    if agent is not None and reason == "timeout":  # a release is answered by the command
        idle = ctx.texts.get("staff_handoff_idle", ctx.staff_language_at(
            agent.platform, agent.chat_id), number=handoff.id)
        replies.append(Reply(text=idle, to=agent))
    return [_own(reply, sender) for reply in replies]


def _own(reply: Reply, sender: Message | None) -> Reply:
    to = reply.to
    if sender is not None and to is not None and (to.platform, to.chat_id) == (
        sender.platform, sender.chat_id,
    ):
        return Reply(text=reply.text, buttons=reply.buttons)
    return reply


def expire_idle(ctx: Context, sender: Message | None) -> list[Reply]:
    """Close every claimed conversation past the idle timeout."""
    replies: list[Reply] = []
    for handoff in ctx.store.handoffs.waiting(limit=1000):
        if is_idle(ctx, handoff):
            replies.extend(close(ctx, handoff, "timeout", sender))
    return replies
