"""Human handoff: a customer asks for a person, an agent takes the conversation, relays both
ways, and hands it back to the bot; the customer then rates the help.

While an agent holds a conversation the bot stays silent to that customer: their messages go to
the staff chat instead. Agents answer with "#<id> text", or with plain text when they hold
exactly one conversation. The idle timeout is applied whenever the handoff route or a handoff
command runs, and once a minute by bot/staff/timer.py when nobody writes.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.message import Message, MessageKind, Reply
from bot.runtime.context import Context
from bot.runtime.router import Continue, Route
from bot.staff.handoff import (
    RATE_PREFIX,
    RATING_FLOW,
    agent_address,
    close,
    customer_address,
    customer_text,
    expire_idle,
    is_idle,
    is_on_duty,
    transcript,
)
from bot.staff.roles import in_staff_chat, role_of, staff_chat, staff_id
from bot.store.staff.handoffs import Handoff

REQUEST_BUTTON = "handoff"
PUNCTUATION = "!！。.?？~～ "


@dataclass(frozen=True, slots=True)
class Found:
    """What the handoff route understood about a message."""

    kind: str  # request, forward, relay, not_yours, rate, expired, answer_after_timeout, quiet
    handoff: Handoff | None = None
    text: str = ""
    rating: int = 0


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
        # For the staff chat, in its language (not the customer's).
        language = ctx.staff_language_at(room.platform, room.chat_id)
        lines = [
            ctx.texts.get("staff_handoff_asks", language, number=handoff.id, who=who,
                          identity=f"{message.platform}:{message.user_id}",
                          customer=ctx.customer.id),
            *transcript(ctx, ctx.customer.id),
            ctx.texts.get("staff_handoff_take_it", language, number=handoff.id),
        ]
        replies.append(Reply(text="\n".join(lines), to=room))
    return replies


async def handle(message: Message, ctx: Context, found: Found) -> list[Reply] | Continue:
    """Relay, forward, rate, queue, or stay quiet."""
    now = ctx.now()
    handoff = found.handoff
    if found.kind == "quiet":
        return expire_idle(ctx, message)
    if found.kind == "request":
        return await request(message, ctx)
    if found.kind == "not_yours":
        return [Reply(text=ctx.staff_text("staff_handoff_not_yours", number=found.text))]
    assert handoff is not None
    if found.kind == "expired":
        closing = close(ctx, handoff, "timeout", message)
        return closing + expire_idle(ctx, message)
    if found.kind == "answer_after_timeout":
        # Handed back first; then the customer is answered by the bot like anyone else.
        return Continue(close(ctx, handoff, "timeout", message) + expire_idle(ctx, message))
    if found.kind == "rate":
        ctx.store.states.clear(ctx.customer.id)
        ctx.store.menus.forget(ctx.customer.id)
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
    photo = message.media.url if message.kind is MessageKind.IMAGE and message.media else ""
    if photo and not photo.startswith(("https://", "http://")):
        # A path on our own server ([web] public_url unset): the agent's app cannot fetch it.
        content, photo = f"{content} {photo}", ""
    reply = Reply(text=f"#{handoff.id} {who}: {content}", image_url=photo or None, to=agent)
    return [reply] if agent else []


ROUTE = Route(name="handoff", match=match, handle=handle)
