"""Answers questions from the knowledge base, or asks "did you mean …?" when unsure."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.faq import Candidate, Faq
from bot.core.language import localize
from bot.core.message import Button, Event, Message, MessageKind, Reply
from bot.kb.index import ANSWER, CLARIFY, FALLBACK
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
    clarify: bool = False  # a short message: ask what the customer means


def _chosen(message: Message) -> str | None:
    payload = message.payload or ""
    pressed = message.kind is MessageKind.BUTTON or message.event == Event.MENU_CLICK
    return payload.removeprefix(FAQ_PREFIX) if pressed and payload.startswith(FAQ_PREFIX) else None


def match(message: Message, ctx: Context) -> FaqMatch | None:
    """An FAQ button or menu key, or a question with candidates above the suggest threshold."""
    chosen = _chosen(message)
    if chosen is not None:
        return FaqMatch(chosen) if ctx.faqs.get(chosen) else None
    if message.kind not in QUESTION_KINDS or not message.text.strip():
        return None
    if message.kind is MessageKind.BUTTON and message.payload and (
        message.event != Event.MENU_CLICK
    ):
        # A press no route knows (a stale menu): its title is not a question. A key of the
        # brand's own account menu (WeChat) is different: its title is what the brand asks.
        return None
    reading = ctx.faqs.read(message.text)
    if reading.small_talk is not None or reading.outcome == FALLBACK:
        return None
    candidates = reading.candidates[:SUGGESTIONS]
    if reading.outcome == ANSWER:
        return FaqMatch(candidates[0].faq_id, candidates)
    threshold = ctx.config.knowledge_base.suggest_threshold
    offered = tuple(c for c in candidates if c.score >= threshold)
    return FaqMatch(None, offered, clarify=reading.outcome == CLARIFY)


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
    if near:
        # A short "ok" with nothing near is no question for staff; "退款" with suggestions is.
        ctx.store.kb_review.log(message.text, ctx.now(), reason="suggested", near=near)
    text = ctx.text("clarify" if found.clarify else "did_you_mean")
    return [Reply(text=text, buttons=tuple(buttons))]


ROUTE = Route(name="faq", match=match, handle=handle)
