"""Answers questions from the knowledge base, or asks "did you mean …?" when unsure."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.faq import Candidate, Faq
from bot.core.language import localize
from bot.core.message import Button, Event, Message, MessageKind, Reply
from bot.kb.index import ANSWER, FALLBACK, outcome_of
from bot.runtime.context import Context
from bot.runtime.router import Route
from handlers.kb import feedback

FAQ_PREFIX = "faq:"
SUGGESTIONS = 3
# Kinds whose text can be a question: a photo's caption ("the tin arrived broken") included.
QUESTION_KINDS = (
    MessageKind.TEXT, MessageKind.VOICE, MessageKind.BUTTON, MessageKind.IMAGE,
    MessageKind.VIDEO, MessageKind.FILE,
)


@dataclass(frozen=True, slots=True)
class FaqMatch:
    """What the FAQ route understood: a chosen FAQ, or candidates to offer."""

    faq_id: str | None
    candidates: tuple[Candidate, ...] = ()


def _chosen(message: Message) -> str | None:
    payload = message.payload or ""
    pressed = message.kind is MessageKind.BUTTON or message.event == Event.MENU_CLICK
    return payload.removeprefix(FAQ_PREFIX) if pressed and payload.startswith(FAQ_PREFIX) else None


def match(message: Message, ctx: Context) -> FaqMatch | None:
    """An FAQ button or menu key, or a question with candidates above the suggest threshold."""
    chosen = _chosen(message)
    if chosen is not None:
        return FaqMatch(chosen) if ctx.faqs.get(chosen) else None
    if message.kind not in QUESTION_KINDS:
        return None
    if not message.text.strip():
        return None
    candidates = ctx.faqs.search(message.text, limit=SUGGESTIONS)
    settings = ctx.config.knowledge_base
    outcome = outcome_of(candidates, settings)
    if outcome == FALLBACK:
        return None
    if outcome == ANSWER:
        return FaqMatch(candidates[0].faq_id, tuple(candidates))
    return FaqMatch(None, tuple(c for c in candidates if c.score >= settings.suggest_threshold))


async def answer(faq: Faq, message: Message, ctx: Context) -> list[Reply]:
    """The FAQ's answer, or the result of its action."""
    if faq.action:
        action = ctx.actions.get(faq.action)
        if action is not None:
            return await action(message, ctx)
        if not faq.answers:
            return [Reply(text=ctx.text("fallback"))]
    text = faq.answer(ctx.language)
    buttons = tuple(Button(button.id, button.title(ctx.language)) for button in faq.buttons)
    if ctx.config.knowledge_base.feedback_buttons:
        # After the FAQ's own buttons, so a numbered menu gives those the same numbers either way.
        text += f"\n\n{ctx.text('feedback_prompt')}"
        buttons += feedback.buttons(faq.id, ctx)
    link_title = None
    if faq.link_url:
        link_title = faq.title(ctx.language)
        if faq.link_titles:
            link_title = localize(dict(faq.link_titles), ctx.language)
    return [
        Reply(
            text=text,
            buttons=buttons,
            link_url=faq.link_url,
            link_title=link_title,
        )
    ]


async def handle(message: Message, ctx: Context, found: FaqMatch) -> list[Reply]:
    """Answer from the knowledge base, or offer the closest FAQs as buttons."""
    if found.faq_id is not None:
        faq = ctx.faqs.get(found.faq_id)
        if faq is not None:
            return await answer(faq, message, ctx)
    buttons = []
    for candidate in found.candidates:
        faq = ctx.faqs.get(candidate.faq_id)
        if faq is not None:
            buttons.append(Button(FAQ_PREFIX + faq.id, faq.title(ctx.language)))
    if "handoff.request" in ctx.actions:
        buttons.append(Button("handoff", ctx.text("button_human")))
    near = [candidate.faq_id for candidate in found.candidates]
    ctx.store.kb_review.log(message.text, ctx.now(), reason="suggested", near=near)
    return [Reply(text=ctx.text("did_you_mean"), buttons=tuple(buttons))]


ROUTE = Route(name="faq", match=match, handle=handle)
