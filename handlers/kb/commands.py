"""Knowledge-base commands for editors: find, show, add, rephrase, reanswer, switch off, test."""

from __future__ import annotations

import dataclasses
import itertools

from bot.core.errors import UsageError
from bot.core.faq import Faq
from bot.core.language import HANS, HANT, base_language, detect_language, to_simplified
from bot.core.message import Reply
from bot.kb.index import ANSWER
from bot.runtime.context import Context
from handlers.staff.command import Command, Invocation, Run, text_reply

FIND_LIMIT = 10
TEST_LIMIT = 5


def _stored_text(text: str) -> tuple[str, str]:
    """The language a text is stored under, and the text as stored (traditional → simplified)."""
    language = detect_language(text, HANS)
    stored = to_simplified(text) if language == HANT else text
    return base_language(language), stored


def _faq(ctx: Context, faq_id: str) -> Faq:
    faq = ctx.store.kb.get(faq_id)
    if faq is None:
        raise UsageError
    return faq


def _id_and_text(arguments: str) -> tuple[str, str]:
    faq_id, _, text = arguments.strip().partition(" ")
    if not faq_id or not text.strip():
        raise UsageError
    return faq_id, text.strip()


def _save(
    invocation: Invocation, ctx: Context, action: str, before: Faq | None, after: Faq
) -> None:
    with ctx.store.transaction():
        ctx.store.kb.save(after, ctx.now(), who=invocation.staff)
        invocation.audit(
            ctx, action, target=after.id, before=before.to_dict() if before else None,
            after=after.to_dict(),
        )


async def kb_find(invocation: Invocation, ctx: Context) -> list[Reply]:
    """FAQs whose id, questions or answers contain the text."""
    needle = to_simplified(invocation.arguments).casefold()
    if not needle:
        raise UsageError
    found = []
    for faq in ctx.store.kb.all(include_disabled=True):
        haystack = " ".join([faq.id, *faq.phrasings(), *faq.answers.values(), *faq.keywords])
        if needle in haystack.casefold():
            found.append(f"{faq.id} — {faq.title('zh-Hans')}" + ("" if faq.enabled else " (off)"))
    if not found:
        return text_reply(ctx.staff_text("staff_kb_find_none", text=invocation.arguments))
    more = ctx.staff_text("staff_kb_find_more", count=len(found) - FIND_LIMIT) if len(
        found) > FIND_LIMIT else ""
    return text_reply(*found[:FIND_LIMIT], *([more] if more else []))


async def kb_show(invocation: Invocation, ctx: Context) -> list[Reply]:
    """One FAQ in full."""
    faq_id = invocation.arguments.strip()
    if not faq_id or " " in faq_id:
        raise UsageError
    faq = ctx.store.kb.get(faq_id)
    if faq is None:
        return text_reply(ctx.staff_text("staff_kb_no_faq", faq=faq_id))
    return text_reply(*faq_lines(faq))


def faq_lines(faq: Faq) -> list[str]:
    """An FAQ as staff read it: id, questions, answers, action and keywords."""
    lines = [f"{faq.id}" + ("" if faq.enabled else " (off)")]
    if faq.small_talk:
        lines.append(f"small talk: {faq.small_talk}")
    for language, questions in faq.questions.items():
        lines.append(f"questions [{language}]: " + " / ".join(questions))
    for language, answer in faq.answers.items():
        lines.append(f"answer [{language}]: {answer}")
    if faq.action:
        lines.append(f"action: {faq.action}")
    if faq.keywords:
        lines.append("keywords: " + ", ".join(faq.keywords))
    return lines


def _new_id(ctx: Context) -> str:
    """The first free id of the form staff-0001."""
    return next(
        candidate
        for candidate in (f"staff-{number:04d}" for number in itertools.count(1))
        if ctx.store.kb.get(candidate) is None
    )


async def kb_add(invocation: Invocation, ctx: Context) -> list[Reply]:
    """A new FAQ: question | answer, both stored in the language of the question."""
    question, bar, answer = invocation.arguments.replace("｜", "|").partition("|")
    if not bar or not question.strip() or not answer.strip():
        raise UsageError
    language, question_text = _stored_text(question.strip())
    answer_text = to_simplified(answer.strip()) if language == "zh-Hans" else answer.strip()
    faq = Faq(id=_new_id(ctx), questions={language: (question_text,)},
              answers={language: answer_text})
    _save(invocation, ctx, "kb.add", None, faq)
    return text_reply(ctx.staff_text("staff_kb_added", faq=faq.id, lang=language,
                                     question=question_text))


async def kb_phrase(invocation: Invocation, ctx: Context) -> list[Reply]:
    """Another way customers ask an existing FAQ."""
    faq_id, text = _id_and_text(invocation.arguments)
    faq = _faq(ctx, faq_id)
    language, question = _stored_text(text)
    existing = faq.questions.get(language, ())
    if question in existing:
        return text_reply(ctx.staff_text("staff_kb_phrase_known", faq=faq.id))
    changed = dataclasses.replace(
        faq, questions={**faq.questions, language: (*existing, question)}
    )
    _save(invocation, ctx, "kb.phrase", faq, changed)
    return text_reply(ctx.staff_text("staff_kb_phrased", faq=faq.id, lang=language,
                                     question=question))


async def kb_answer(invocation: Invocation, ctx: Context) -> list[Reply]:
    """A new answer for an FAQ, in the language it is written in."""
    faq_id, text = _id_and_text(invocation.arguments)
    faq = _faq(ctx, faq_id)
    language, answer = _stored_text(text)
    changed = dataclasses.replace(faq, answers={**faq.answers, language: answer})
    _save(invocation, ctx, "kb.answer", faq, changed)
    return text_reply(ctx.staff_text("staff_kb_answered", faq=faq.id, lang=language))


def _switch(enabled: bool) -> Run:
    state = "on" if enabled else "off"

    async def run(invocation: Invocation, ctx: Context) -> list[Reply]:
        faq_id = invocation.arguments.strip()
        if not faq_id or " " in faq_id:
            raise UsageError
        faq = _faq(ctx, faq_id)
        if faq.enabled == enabled:
            return text_reply(ctx.staff_text(f"staff_kb_already_{state}", faq=faq.id))
        _save(invocation, ctx, "kb.on" if enabled else "kb.off", faq,
              dataclasses.replace(faq, enabled=enabled))
        return text_reply(ctx.staff_text(f"staff_kb_now_{state}", faq=faq.id))

    return run


async def kb_test(invocation: Invocation, ctx: Context) -> list[Reply]:
    """What the matcher makes of a question: candidates, scores and the outcome."""
    question = invocation.arguments.strip()
    if not question:
        raise UsageError
    await ctx.faqs.prepare(question)  # semantic matching embeds off the event loop
    reading = ctx.faqs.read(question)
    candidates = list(reading.candidates[:TEST_LIMIT])
    settings = ctx.config.knowledge_base
    # The routes' own decision (small talk, the short-message rule, the margin), so staff see
    # what customers would get.
    outcome = reading.outcome
    if outcome == ANSWER:
        outcome = f"answer {candidates[0].faq_id}"
    if reading.small_talk is not None:
        outcome = f"small talk {reading.small_talk}"
    elif reading.anywhere is not None:
        outcome = f"{outcome}, after {reading.anywhere}"
    lines = [
        f"{rank}. {candidate.faq_id} {candidate.score:.3f} (via “{candidate.phrasing}”)"
        for rank, candidate in enumerate(candidates, 1)
    ]
    lines.append(
        f"outcome: {outcome} (answer ≥ {settings.answer_threshold},"
        f" margin ≥ {settings.answer_margin}, suggest ≥ {settings.suggest_threshold})"
    )
    return text_reply(*lines)


COMMANDS = (
    Command("kb find", "editor", "/kb find <text> — FAQs containing the text", kb_find, ("找",)),
    Command("kb show", "editor", "/kb show <id> — one FAQ in full", kb_show, ("看",)),
    Command("kb add", "editor", "/kb add <question> | <answer> — a new FAQ", kb_add, ("加",)),
    Command("kb phrase", "editor", "/kb phrase <id> <question> — another way to ask", kb_phrase,
            ("问法",)),
    Command("kb answer", "editor", "/kb answer <id> <text> — replace the answer", kb_answer,
            ("答案",)),
    Command("kb off", "editor", "/kb off <id> — stop using an FAQ", _switch(False), ("停用",)),
    Command("kb on", "editor", "/kb on <id> — use an FAQ again", _switch(True), ("启用",)),
    Command("kb test", "editor", "/kb test <text> — how a question is matched", kb_test,
            ("测试",)),
)
