"""Records 👍/👎 pressed under an FAQ answer; 👎 sends the customer's question to review."""

from __future__ import annotations

from bot.core.message import Button, Message, MessageKind, Reply
from bot.runtime.context import Context
from bot.runtime.router import Route
from bot.store.kb.feedback import VOTES

FEEDBACK_PREFIX = "feedback:"
QUESTION_KINDS = ("text", "voice")


def buttons(faq_id: str, ctx: Context) -> tuple[Button, Button]:
    """The 👍 and 👎 buttons to show under an answer of `faq_id`."""
    return (
        Button(f"{FEEDBACK_PREFIX}up:{faq_id}", ctx.text("feedback_yes")),
        Button(f"{FEEDBACK_PREFIX}down:{faq_id}", ctx.text("feedback_no")),
    )


def match(message: Message, ctx: Context) -> tuple[str, str] | None:
    """A pressed feedback button: (vote, faq id)."""
    payload = message.payload or ""
    if message.kind is not MessageKind.BUTTON or not payload.startswith(FEEDBACK_PREFIX):
        return None
    vote, _, faq_id = payload.removeprefix(FEEDBACK_PREFIX).partition(":")
    return (vote, faq_id) if vote in VOTES and faq_id else None


def _last_question(message: Message, ctx: Context) -> str:
    """The customer's latest typed message before this one: the question the answer was for.

    A typed "yes" or "no" to "was this helpful?" is itself in the log; it is not the question.
    """
    for line in reversed(ctx.store.conversations.recent(ctx.customer.id, limit=20)):
        if line.message_id == message.message_id:
            continue
        if line.direction == "in" and line.kind in QUESTION_KINDS and line.text.strip():
            return line.text
    return ""


async def handle(message: Message, ctx: Context, found: tuple[str, str]) -> list[Reply]:
    """Thank the customer; a 👎 also offers a person and queues the question for review."""
    vote, faq_id = found
    # A forged or stale button for an FAQ that never existed is thanked but not counted.
    if ctx.store.kb.get(faq_id) is not None:
        question = _last_question(message, ctx)
        changed = ctx.store.feedback.record(ctx.customer.id, faq_id, vote, question, ctx.now())
        if changed and vote == "down" and question:
            ctx.store.kb_review.log(question, ctx.now(), reason="feedback", near=[faq_id])
    offer: tuple[Button, ...] = ()
    if vote == "down" and "handoff.request" in ctx.actions:
        offer = (Button("handoff", ctx.text("button_human")),)
    return [Reply(text=ctx.text("feedback_thanks"), buttons=offer)]


ROUTE = Route(name="feedback", match=match, handle=handle)
