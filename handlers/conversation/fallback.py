"""The last route: says what the bot can do when nothing else understood the message."""

from __future__ import annotations

from bot.core.message import Button, Event, Message, MessageKind, Reply
from bot.runtime.context import Context
from bot.runtime.router import Route

READABLE = (MessageKind.TEXT, MessageKind.VOICE, MessageKind.BUTTON, MessageKind.COMMAND)


def match(message: Message, ctx: Context) -> str:
    """Always matches: 'unsupported', 'voice', 'stale', 'empty', 'event' or 'unknown'."""
    if message.kind is MessageKind.VOICE and not message.text.strip():
        return "voice"  # a voice note the platform did not transcribe
    if message.kind is MessageKind.BUTTON and message.payload and (
        message.event != Event.MENU_CLICK
    ):
        return "stale"  # a button no route knows: an old menu, or data we never sent
    if message.kind not in READABLE and message.kind is not MessageKind.EVENT:
        # Media with a caption was a question we could not answer, not an unreadable message.
        return "unknown" if message.text.strip() else "unsupported"
    if message.kind is MessageKind.EVENT:
        return "unknown" if message.event == Event.MENU_CLICK else "event"
    if not message.text.strip():
        return "empty"
    return "unknown"


async def handle(message: Message, ctx: Context, found: str) -> list[Reply]:
    """A polite answer that says what to do next."""
    if found == "event":
        return []
    if found == "unsupported":
        return [Reply(text=ctx.text("unsupported"))]
    if found == "empty":
        return [Reply(text=ctx.text("empty_message"))]
    if found == "voice":
        return [Reply(text=ctx.text("voice_unreadable"))]
    if found == "stale":
        return [Reply(text=ctx.text("menu_expired"))]
    if message.kind in (MessageKind.TEXT, MessageKind.VOICE):
        near = [candidate.faq_id for candidate in ctx.faqs.search(message.text)]
        ctx.store.kb_review.log(message.text, ctx.now(), reason="unanswered", near=near)
    buttons: tuple[Button, ...] = ()
    if "handoff.request" in ctx.actions:
        buttons = (Button("handoff", ctx.text("button_human")),)
    return [Reply(text=ctx.text("fallback"), buttons=buttons)]


ROUTE = Route(name="fallback", match=match, handle=handle)
