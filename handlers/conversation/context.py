"""Short replies that answer the bot's last question: "yes", "no", "ok", "the second one".

What they mean depends on what the bot just asked, for `context_minutes` after it asked:

- after "did you mean …?" (or "what would you like to know?" with options): yes → the top
  suggestion, "the second one" → that one, no → ask again in other words;
- after an FAQ answer's "was this helpful?": yes → 👍, no → 👎; "ok" / "thanks" close the
  topic politely and retire the buttons;
- in the order lookup, while the bot waits for a number: no → leave the lookup, yes → ask
  for the number again.

Later, or with nothing asked, they are plain small talk (handlers/conversation/small_talk.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import timedelta

from bot.core.faq import Reading
from bot.core.language import ENGLISH, HANS, HANT, to_simplified
from bot.core.message import Button, Message, MessageKind, Reply
from bot.orders.service import FLOW as ORDER_FLOW
from bot.runtime.context import Context
from bot.runtime.router import Route
from handlers.conversation.small_talk import (
    HANDOFF_ACTION,
    HANDOFF_BUTTON,
    entry_reply,
    reading_of,
)
from handlers.kb import faq as faq_route
from handlers.kb import feedback
from handlers.orders import lookup

YES = ("affirm",)
NO = ("deny",)
CLOSING = ("thanks", "acknowledge", "praise", "goodbye")
# "第二个" / "the second one" / "2号": which of the offered buttons.
_ORDINALS = {
    "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5,
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "last": -1,
}
_CHINESE_ORDINAL = re.compile(r"^(?:选)?第?([一二两三四五\d])(?:个|条|项|号)?(?:吧|吧。)?$")
_ENGLISH_ORDINAL = re.compile(
    r"^(?:the )?(first|second|third|fourth|fifth|last)(?: one| option| choice)?(?: please)?$"
)

# The longest ordinal, folded, is "the fourth option please" (24 characters).
_ORDINAL_CHARS = 64
# Every ordinal holds one of these, in simplified or traditional script (兩 is 两).
_ORDINAL_WORD = re.compile(r"[一二两兩三四五\d]|first|second|third|fourth|fifth|last", re.I)


@dataclass(frozen=True, slots=True)
class Answer:
    """What a short reply means here: one of the actions below, and its button or entry."""

    action: str  # faq, feedback, declined, closed, order_cancel, order_again
    target: str = ""  # the FAQ id, the feedback payload, or the small-talk entry id


def _ordinal(text: str) -> int | None:
    folded = " ".join(text.casefold().strip(" .!?。！？").split())
    if len(folded) > _ORDINAL_CHARS or _ORDINAL_WORD.search(folded) is None:
        # No ordinal is this long or lacks these: most messages are spared the conversion
        # (which commutes with the folding above: it changes Chinese characters only).
        return None
    folded = to_simplified(folded)
    found = _CHINESE_ORDINAL.match(folded) or _ENGLISH_ORDINAL.match(folded)
    if found is None:
        return None
    word = found.group(1)
    return int(word) if word.isdigit() else _ORDINALS.get(word)


def _asked(ctx: Context) -> str:
    """The text of the bot's last reply to this customer ("" if none)."""
    for line in reversed(ctx.store.conversations.recent(ctx.customer.id, limit=6)):
        if line.direction == "out":
            return line.text
    return ""


def _is_question(text: str, ctx: Context, *keys: str) -> bool:
    return any(text == ctx.texts.get(key, lang) for key in keys for lang in (HANS, HANT, ENGLISH))


def match(message: Message, ctx: Context) -> Answer | None:
    """A yes, no, ok or ordinal that answers what the bot asked within the context window."""
    reading = reading_of(message, ctx)
    if reading is None:
        return None
    number = _ordinal(message.text)
    if reading.small_talk is None and number is None:
        return None
    moves = set(reading.moves) if reading.question == "" else set()
    state = ctx.store.states.get(ctx.customer.id, ctx.now())
    if state is not None and state.flow == ORDER_FLOW and state.slots.get("step") == "number":
        if moves & set(NO):
            return Answer("order_cancel")
        if moves & set(YES):
            return Answer("order_again")
    buttons, offered_at = ctx.store.menus.offered(ctx.customer.id, ctx.now())
    window = timedelta(minutes=ctx.config.knowledge_base.context_minutes)
    if not buttons or offered_at is None or ctx.now() - offered_at > window:
        return None
    return _about_menu(buttons, moves, number, reading, ctx)


def _about_menu(
    buttons: list[tuple[str, str]], moves: set[str], number: int | None, reading: Reading,
    ctx: Context,
) -> Answer | None:
    votes = {b.partition(":")[2].partition(":")[0]: b for b, _ in buttons
             if b.startswith(feedback.FEEDBACK_PREFIX)}
    if votes:
        # Under an answer: "was this helpful?"
        if moves & set(YES) and not moves & set(NO) and "up" in votes:
            return Answer("feedback", votes["up"])
        if moves & set(NO) and not moves & set(YES) and "down" in votes:
            return Answer("feedback", votes["down"])
        if moves & set(CLOSING) and reading.small_talk:
            return Answer("closed", reading.small_talk)
        return None
    offered = [b.removeprefix(faq_route.FAQ_PREFIX) for b, _ in buttons
               if b.startswith(faq_route.FAQ_PREFIX)]
    if not offered or not _is_question(_asked(ctx), ctx, "did_you_mean", "clarify"):
        return None
    if number is not None:
        index = number - 1 if number > 0 else len(offered) - 1
        return Answer("faq", offered[index]) if 0 <= index < len(offered) else None
    if moves & set(NO):
        return Answer("declined")
    if moves & {"affirm", "acknowledge"}:
        return Answer("faq", offered[0])
    return None


async def handle(message: Message, ctx: Context, found: Answer) -> list[Reply]:
    """Carry out what the short reply meant."""
    if found.action == "order_cancel":
        return await lookup.handle(message, ctx, lookup.Intent("cancel"))
    if found.action == "order_again":
        return await lookup.handle(message, ctx, lookup.Intent("start"))
    if found.action == "feedback":
        chosen = feedback.match(
            replace(message, kind=MessageKind.BUTTON, payload=found.target), ctx
        )
        if chosen is not None:
            return await feedback.handle(message, ctx, chosen)
    if found.action == "faq":
        faq = ctx.faqs.get(found.target)
        if faq is not None:
            return await faq_route.answer(faq, message, ctx)
    if found.action == "closed":
        entry = ctx.faqs.get(found.target)
        ctx.store.menus.forget(ctx.customer.id)
        if entry is not None:
            return [entry_reply(entry, ctx)]
    buttons: tuple[Button, ...] = ()
    if HANDOFF_ACTION in ctx.actions:
        buttons = (Button(HANDOFF_BUTTON, ctx.text("button_human")),)
    return [Reply(text=ctx.text("suggestion_declined"), buttons=buttons)]


ROUTE = Route(name="context", match=match, handle=handle)
