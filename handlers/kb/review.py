"""Knowledge-base review for editors: undo your last change, the unanswered queue, attach."""

from __future__ import annotations

from bot.core.errors import KnowledgeBaseError, ReviewError, UsageError
from bot.core.message import Reply
from bot.runtime.context import Context
from handlers.kb.commands import faq_lines
from handlers.staff.command import Command, Invocation, text_reply

QUEUE_SHOWN = 10
QUEUE_MOST = 50


async def kb_undo(invocation: Invocation, ctx: Context) -> list[Reply]:
    """Revert the sender's latest knowledge-base change and show what was restored."""
    if invocation.arguments.strip():
        raise UsageError
    try:
        with ctx.store.transaction():
            faq = ctx.store.kb.undo(invocation.staff, ctx.now())
            if faq is None:
                return text_reply(ctx.staff_text("staff_kb_nothing_to_undo"))
            # The revision undo just wrote: before is the FAQ with the change, after as restored.
            [revision] = ctx.store.kb.recent_revisions(1, who=invocation.staff)
            invocation.audit(
                ctx, "kb.undo", target=faq.id, before=revision.before, after=revision.after
            )
    except KnowledgeBaseError as error:
        return text_reply(ctx.staff_text("staff_kb_undo_failed",
                                         problems="; ".join(error.problems)))
    undone = next(
        (earlier for earlier in ctx.store.kb.revisions(faq.id) if earlier.id == revision.reverts),
        None,
    )
    if undone is not None and undone.before is None:
        headline = ctx.staff_text("staff_kb_undid_new", faq=faq.id)
    else:
        headline = ctx.staff_text("staff_kb_undid", faq=faq.id)
    return text_reply(headline, *faq_lines(faq))


async def kb_unanswered(invocation: Invocation, ctx: Context) -> list[Reply]:
    """The review queue: questions the bot could not answer well, most asked first."""
    parts = invocation.arguments.split()
    if len(parts) > 1 or (parts and not (parts[0].isdecimal()
                                         and 0 < int(parts[0]) <= QUEUE_MOST)):
        raise UsageError
    items = ctx.store.kb_review.items(limit=int(parts[0]) if parts else QUEUE_SHOWN)
    if not items:
        return text_reply(ctx.staff_text("staff_kb_queue_empty"))
    lines = []
    for item in items:
        local = item.last_asked_at.astimezone(ctx.config.bot.zone)
        lines.append(ctx.staff_text("staff_kb_queue_item", id=item.id, count=item.count,
                                    reason=item.reason, at=f"{local:%m-%d %H:%M}"))
        lines.append(ctx.staff_text("staff_kb_queue_asked", examples=" · ".join(
            f"“{text[:80]}”" for text in item.examples)))
        if item.near:
            lines.append(ctx.staff_text("staff_kb_queue_near", faqs=", ".join(item.near)))
    lines.append(ctx.staff_text("staff_kb_queue_hint"))
    return text_reply(*lines)


async def kb_attach(invocation: Invocation, ctx: Context) -> list[Reply]:
    """Add a queued question as another phrasing of an FAQ, in one step."""
    parts = invocation.arguments.split()
    if len(parts) != 2 or not parts[0].lstrip("#").isdecimal():
        raise UsageError
    item_id, faq_id = int(parts[0].lstrip("#")), parts[1]
    queued = ctx.store.kb_review.get(item_id)
    if queued is not None and queued.status != "open":
        return text_reply(ctx.staff_text("staff_kb_question_done", id=item_id,
                                         status=queued.status))
    before = ctx.store.kb.get(faq_id)
    try:
        with ctx.store.transaction():
            faq = ctx.store.kb_review.attach(item_id, faq_id, invocation.staff, ctx.now())
            invocation.audit(
                ctx, "kb.attach", target=faq.id,
                before=before.to_dict() if before else None, after=faq.to_dict(),
            )
    except ReviewError as error:
        return text_reply(ctx.staff_text("staff_kb_attach_failed", error=error))
    asked = f" “{queued.examples[0]}”" if queued is not None else ""
    return text_reply(ctx.staff_text("staff_kb_attached", id=item_id, asked=asked, faq=faq.id))


COMMANDS = (
    Command("kb undo", "editor", "/kb undo — revert your latest knowledge-base change", kb_undo,
            ("撤销",)),
    Command("kb unanswered", "editor",
            "/kb unanswered [count] — questions the bot could not answer well", kb_unanswered,
            ("待处理",)),
    Command("kb attach", "editor",
            "/kb attach <question id> <faq id> — answer a queued question with an FAQ",
            kb_attach, ("归入",)),
)
