"""Answers small talk from the knowledge base's small-talk entries: greetings, thanks, "ok"…

Three routes share the reading of a message. Distress comes first of all customer routes: a
caring reply and a person, whatever else the message says. Complaints get an apology and the
offer of a person (and the FAQ answer too, when the complaint came with a clear question).
Everything else is answered with its entry's text; none of it is queued for review.
"""

from __future__ import annotations

from bot.core.faq import Faq, Reading
from bot.core.message import Button, Message, MessageKind, Reply
from bot.kb.index import ANSWER
from bot.runtime.context import Context
from bot.runtime.router import Route
from handlers.kb import faq as faq_route

HANDOFF_ACTION = "handoff.request"
HANDOFF_BUTTON = "handoff"
# Kinds whose text may be small talk: a photo captioned "thanks!" is thanks.
READABLE = (
    MessageKind.TEXT, MessageKind.VOICE, MessageKind.IMAGE, MessageKind.VIDEO, MessageKind.FILE,
    MessageKind.BUTTON,
)


def reading_of(message: Message, ctx: Context) -> Reading | None:
    """The index's reading of a message a customer typed (None for presses and events)."""
    if message.kind not in READABLE or not message.text.strip():
        return None
    if message.kind is MessageKind.BUTTON and message.payload:
        return None
    return ctx.faqs.read(message.text)


def category_of(entry_id: str | None, ctx: Context) -> str:
    """The small-talk category of an entry ("" when it is not one)."""
    entry = ctx.faqs.get(entry_id) if entry_id else None
    return entry.small_talk if entry is not None else ""


def entry_reply(entry: Faq, ctx: Context) -> Reply:
    """An entry's answer with its buttons (the person button only when handoff exists)."""
    buttons = tuple(
        Button(button.id, button.title(ctx.language))
        for button in entry.buttons
        if button.id != HANDOFF_BUTTON or HANDOFF_ACTION in ctx.actions
    )
    return Reply(text=entry.answer(ctx.language), buttons=buttons)


def _found(message: Message, ctx: Context, wanted: tuple[str, ...]) -> tuple[Faq, Reading] | None:
    reading = reading_of(message, ctx)
    if reading is None:
        return None
    for entry_id in (reading.anywhere, reading.small_talk):
        entry = ctx.faqs.get(entry_id) if entry_id else None
        if entry is not None and entry.small_talk in wanted:
            return entry, reading
    return None


def match_distress(message: Message, ctx: Context) -> tuple[Faq, Reading] | None:
    """Self-harm wording anywhere in the message."""
    return _found(message, ctx, ("distress",))


async def handle_distress(
    message: Message, ctx: Context, found: tuple[Faq, Reading]
) -> list[Reply]:
    """A caring reply, then a person: the handoff starts at once."""
    replies = [Reply(text=found[0].answer(ctx.language))]
    action = ctx.actions.get(HANDOFF_ACTION)
    if action is not None:
        replies += await action(message, ctx)
    return replies


def match_complaint(message: Message, ctx: Context) -> tuple[Faq, Reading] | None:
    """A complaint, on its own or inside a longer message."""
    return _found(message, ctx, ("complaint",))


async def handle_complaint(
    message: Message, ctx: Context, found: tuple[Faq, Reading]
) -> list[Reply]:
    """An apology with the offer of a person, plus the answer when the question was clear."""
    entry, reading = found
    replies = [entry_reply(entry, ctx)]
    if reading.outcome == ANSWER and reading.candidates:
        faq = ctx.faqs.get(reading.candidates[0].faq_id)
        if faq is not None:
            replies += await faq_route.answer(faq, message, ctx)
    return replies


def match(message: Message, ctx: Context) -> Faq | None:
    """A message that is small talk, or small talk around something no FAQ answers."""
    reading = reading_of(message, ctx)
    entry = ctx.faqs.get(reading.small_talk) if reading and reading.small_talk else None
    return entry if entry is not None and entry.small_talk else None


async def handle(message: Message, ctx: Context, entry: Faq) -> list[Reply]:
    """The entry's answer."""
    return [entry_reply(entry, ctx)]


DISTRESS_ROUTE = Route(name="distress", match=match_distress, handle=handle_distress)
COMPLAINT_ROUTE = Route(name="complaint", match=match_complaint, handle=handle_complaint)
ROUTE = Route(name="small_talk", match=match, handle=handle)
