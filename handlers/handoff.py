"""Human handoff: a customer asks for a person, an agent takes the conversation, relays both
ways, and hands it back to the bot; the customer then rates the help.

While an agent holds a conversation the bot stays silent to that customer: their messages go to
the staff chat instead. Agents answer with "#<id> text", or with plain text when they hold
exactly one conversation. The idle timeout is applied whenever the handoff route or a handoff
command runs, and once a minute by bot/handoff_timer.py when nobody writes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from bot.context import Context
from bot.message import Address, Button, Message, MessageKind, Reply
from bot.router import Route
from bot.store.handoffs import Handoff
from handlers.chain import answer_after
from handlers.staff import in_staff_chat, role_of, staff_chat, staff_id

REQUEST_BUTTON = "handoff"
RATE_PREFIX = "handoff:rate:"
RATING_FLOW = "handoff.rating"
RATING_TTL = timedelta(days=1)
PUNCTUATION = "!！。.?？~～ "
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True, slots=True)
class Found:
    """What the handoff route understood about a message."""

    kind: str  # request, forward, relay, not_yours, rate, expired, answer_after_timeout, quiet
    handoff: Handoff | None = None
    text: str = ""
    rating: int = 0


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
    ctx.store.kv.set(
        f"menu:{handoff.customer_id}",
        json.dumps([[button.id, button.title] for button in buttons]),
        now, expires_at=now + RATING_TTL,
    )
    to_customer = customer_address(handoff)
    replies = [Reply(text=customer_text(ctx, handoff, key), buttons=buttons, to=to_customer)]
    agent = agent_address(ctx, handoff)
    if agent is not None and reason == "timeout":  # a release is answered by the command
        replies.append(Reply(text=f"#{handoff.id} is back with the bot (idle).", to=agent))
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


def _is_request(message: Message, ctx: Context) -> bool:
    if message.kind is MessageKind.BUTTON:
        return message.payload == REQUEST_BUTTON
    if message.kind not in (MessageKind.TEXT, MessageKind.VOICE):
        return False
    return message.text.strip().casefold().strip(PUNCTUATION) in ctx.config.handoff.triggers


def _rating(message: Message, ctx: Context) -> Found | None:
    payload = message.payload or ""
    if message.kind is MessageKind.BUTTON and payload.startswith(RATE_PREFIX):
        handoff_id, _, score = payload.removeprefix(RATE_PREFIX).partition(":")
    else:
        state = ctx.store.states.get(ctx.customer.id, ctx.now())
        if state is None or state.flow != RATING_FLOW:
            return None
        handoff_id, score = str(state.slots.get("handoff", "")), message.text.strip()
    if not (handoff_id.isdigit() and score in ("1", "2", "3", "4", "5")):
        return None
    handoff = ctx.store.handoffs.get(int(handoff_id))
    if handoff is None or handoff.customer_id != ctx.customer.id:
        return None
    return Found("rate", handoff, rating=int(score))


def _relay(message: Message, ctx: Context) -> Found | None:
    """An agent's answer to a conversation: "#12 text", or plain text if they hold one."""
    if message.kind not in (MessageKind.TEXT, MessageKind.COMMAND):
        return None
    text = message.text.strip()
    if not text or text.startswith("/"):
        return None
    agent = staff_id(message)
    if text.startswith("#"):
        number, _, rest = text[1:].partition(" ")
        if not number.isdigit() or not rest.strip():
            return None
        handoff = ctx.store.handoffs.get(int(number))
        if handoff is None or handoff.status != "claimed" or handoff.agent != agent:
            return Found("not_yours", handoff, text=number)
        return Found("expired" if is_idle(ctx, handoff) else "relay", handoff, rest.strip())
    held = ctx.store.handoffs.held_by(agent)
    if len(held) != 1:
        return None
    return Found("expired" if is_idle(ctx, held[0]) else "relay", held[0], text)


def match(message: Message, ctx: Context) -> Found | None:
    """Agents' relays, customers in a handoff, ratings, and requests for a person."""
    room = in_staff_chat(message, ctx)
    if role_of(message, ctx) is not None and (message.is_private or room):
        relayed = _relay(message, ctx)
        if relayed is not None:
            return relayed
    if room and not message.is_private:
        return Found("quiet")  # the bot does not chat in the staff room
    current = ctx.store.handoffs.open_for(ctx.customer.id)
    if current is not None and current.status == "claimed":
        # A customer writing after the idle timeout: hand back, then answer them as the bot.
        return Found("answer_after_timeout" if is_idle(ctx, current) else "forward", current)
    rating = _rating(message, ctx)
    if rating is not None:
        return rating
    if _is_request(message, ctx):
        return Found("request", current)
    return None


async def request(message: Message, ctx: Context) -> list[Reply]:
    """Queue the customer for a person and tell the staff chat (the KB action too)."""
    now = ctx.now()
    handoff, created = ctx.store.handoffs.request(
        customer_id=ctx.customer.id, platform=message.platform, chat_id=message.chat_id,
        user_id=message.user_id, now=now,
    )
    ahead = ctx.store.handoffs.position(handoff.id) - 1
    if not created:
        return [Reply(text=ctx.text("handoff_already_queued", ahead=ahead))]
    settings = ctx.config.handoff
    if is_on_duty(ctx, now):
        replies = [Reply(text=ctx.text("handoff_queued", ahead=ahead))]
    else:
        replies = [
            Reply(text=ctx.text("handoff_off_duty", opens=settings.opens, closes=settings.closes))
        ]
    room = staff_chat(ctx)
    if room is not None:
        who = message.display_name or ctx.customer.display_name or message.user_id
        lines = [
            f"🔔 #{handoff.id} {who} ({message.platform}:{message.user_id}, customer"
            f" {ctx.customer.id}) asks for a person.",
            *transcript(ctx, ctx.customer.id),
            f"Take it with /take {handoff.id}",
        ]
        replies.append(Reply(text="\n".join(lines), to=room))
    return replies


async def handle(message: Message, ctx: Context, found: Found) -> list[Reply]:
    """Relay, forward, rate, queue, or stay quiet."""
    now = ctx.now()
    handoff = found.handoff
    if found.kind == "quiet":
        return expire_idle(ctx, message)
    if found.kind == "request":
        return await request(message, ctx)
    if found.kind == "not_yours":
        return [Reply(text=f"#{found.text} is not a conversation you hold; /take it first.")]
    assert handoff is not None
    if found.kind == "expired":
        closing = close(ctx, handoff, "timeout", message)
        return closing + expire_idle(ctx, message)
    if found.kind == "answer_after_timeout":
        closing = close(ctx, handoff, "timeout", message)
        return closing + expire_idle(ctx, message) + await answer_after(ROUTE, message, ctx)
    if found.kind == "rate":
        ctx.store.states.clear(ctx.customer.id)
        ctx.store.kv.delete(f"menu:{ctx.customer.id}")
        ctx.store.handoffs.rate(handoff.id, found.rating, now)
        return [Reply(text=ctx.text("handoff_rating_thanks"))]
    ctx.store.handoffs.touch(handoff.id, now)
    if found.kind == "relay":
        text = customer_text(ctx, handoff, "handoff_agent_says", text=found.text)
        return [Reply(text=text, to=customer_address(handoff))]
    # forward: the customer's own message goes to the agent; the bot says nothing.
    agent = agent_address(ctx, handoff)
    who = message.display_name or ctx.customer.display_name or message.user_id
    content = message.text or f"[{message.kind.value}]"
    return [Reply(text=f"#{handoff.id} {who}: {content}", to=agent)] if agent else []


ROUTE = Route(name="handoff", match=match, handle=handle)
