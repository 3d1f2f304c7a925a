"""Operations commands for admins: /stats, /outbox and /broadcast (dry run, then /confirm)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from bot.core.errors import UsageError
from bot.core.language import ENGLISH, HANS, HANT
from bot.core.message import Reply
from bot.runtime.context import Context
from bot.staff import broadcasts
from bot.staff.roles import CONFIRM_TTL
from handlers.staff.command import Command, Invocation, text_reply

PERIODS = {"today": "today", "今天": "today", "7d": "7d", "7天": "7d", "30d": "30d", "30天": "30d"}
OUTBOX_LIMIT = 10


def period_start(ctx: Context, period: str) -> datetime:
    """When a /stats period starts: local midnight for today, else N days back."""
    now = ctx.now()
    if period == "today":
        local = now.astimezone(ctx.config.bot.zone)
        return local.replace(hour=0, minute=0, second=0, microsecond=0)
    return now - timedelta(days=int(period.removesuffix("d")))


def _share(part: int, whole: int) -> str:
    return f"{part} ({part * 100 // whole}%)" if whole else str(part)


def _counts(counts: Mapping[str, int]) -> str:
    """'failed 2, pending 5' (statuses as the store names them), '' for none."""
    return ", ".join(f"{status} {n}" for status, n in sorted(counts.items()))


def _plan_text(ctx: Context, plan: broadcasts.Plan) -> str:
    """A broadcast plan in the staff member's language."""
    platforms = ", ".join(f"{name} {n}" for name, n in sorted(plan.by_platform.items()))
    return ctx.staff_text(
        "staff_broadcast_plan", recipients=len(plan.recipients),
        platforms=platforms or ctx.staff_text("staff_none"),
        outside=plan.outside_window, unreachable=plan.unreachable,
    )


async def stats(invocation: Invocation, ctx: Context) -> list[Reply]:
    """Messages, customers, FAQ outcomes, handoffs and the outbox over a period."""
    parts = invocation.arguments.split()
    if len(parts) > 1 or (parts and parts[0].casefold() not in PERIODS):
        raise UsageError
    period = PERIODS[parts[0].casefold()] if parts else "today"
    since = period_start(ctx, period)
    reports = ctx.store.reports
    messages = reports.messages_by_platform(since)
    new, active = reports.customers(since)
    suggestion = {
        ctx.texts.get(key, language)
        for key in ("did_you_mean", "clarify") for language in (HANS, HANT, ENGLISH)
    }
    routes = reports.replies_by_route(since, sorted(suggestion))
    answered, suggested, fallback = routes.get("faq", 0), routes.get("suggested", 0), routes.get(
        "fallback", 0
    )
    questions = answered + suggested + fallback
    turns = reports.answers_by_route(since)
    handoffs = ctx.store.handoffs.summary(since)
    outbox = ctx.store.outbox.counts()
    local = since.astimezone(ctx.config.bot.zone)
    none = ctx.staff_text("staff_none")
    lines = [
        ctx.staff_text("staff_stats_since", since=f"{local:%Y-%m-%d %H:%M}", period=period,
                       timezone=ctx.config.bot.timezone),
        ctx.staff_text("staff_stats_messages", counts="; ".join(
            ctx.staff_text("staff_stats_platform", platform=platform, inbound=counts["in"],
                           outbound=counts["out"])
            for platform, counts in sorted(messages.items())
        ) or none),
        ctx.staff_text("staff_stats_customers", new=new, active=active),
        ctx.staff_text("staff_stats_questions", questions=questions,
                       answered=_share(answered, questions),
                       suggested=_share(suggested, questions),
                       fallback=_share(fallback, questions)),
        # Not questions, so not in the line above: the conversation's own moves.
        ctx.staff_text("staff_stats_turns", small_talk=turns.get("small_talk", 0),
                       context=turns.get("context", 0), complaints=turns.get("complaint", 0),
                       distress=turns.get("distress", 0)),
        ctx.staff_text("staff_stats_handoffs", requested=handoffs["requested"],
                       taken=handoffs["taken"], closed=handoffs["closed"],
                       idle=handoffs["timed_out"], rated=handoffs["rated"],
                       average=f"{float(handoffs['average']):.1f}"),
        ctx.staff_text("staff_stats_outbox", counts=_counts(outbox)
                       or ctx.staff_text("staff_outbox_empty")),
    ]
    return text_reply(*lines)


async def outbox(invocation: Invocation, ctx: Context) -> list[Reply]:
    """Sends waiting or given up on, with the reason; `retry` sends failed ones again."""
    words = invocation.arguments.split()
    if words and words[0].casefold() in ("retry", "重试"):
        return _retry(invocation, ctx, words[1:])
    if words:
        raise UsageError
    rows = ctx.store.outbox.list(("pending", "sending", "failed", "undeliverable"), OUTBOX_LIMIT)
    counts = ctx.store.outbox.counts()
    lines = [_counts(counts) or ctx.staff_text("staff_outbox_empty")]
    lines.extend(
        ctx.staff_text("staff_outbox_row", id=row.id, status=row.status,
                       chat=f"{row.request.platform}:{row.request.chat_id}",
                       attempts=row.attempts)
        + (f" — {row.last_error[:120]}" if row.last_error else "")
        for row in rows
    )
    return text_reply(*lines)


def _retry(invocation: Invocation, ctx: Context, words: list[str]) -> list[Reply]:
    """Re-drive one failed row (`retry 12`) or all of them (`retry all`)."""
    if len(words) != 1 or not (words[0].isdigit() or words[0].casefold() in ("all", "全部")):
        raise UsageError
    row_id = int(words[0]) if words[0].isdigit() else None
    count = ctx.store.outbox.retry(ctx.now(), row_id)
    if count:
        invocation.audit(ctx, "outbox.retry", target=words[0], after={"rows": count})
    if row_id is not None and not count:
        return text_reply(ctx.staff_text("staff_outbox_not_failed", id=row_id))
    return text_reply(ctx.staff_text("staff_outbox_retried", count=count,
                                     hours=f"{ctx.config.outbox.retry_hours:g}"))


def parse_segment(ctx: Context, segment: str) -> str:
    """"all" or "platform:<name>" of a platform this bot runs, else a UsageError."""
    parsed = broadcasts.segment_of(ctx.reach, segment)
    if parsed is None:
        raise UsageError
    return parsed


async def broadcast(invocation: Invocation, ctx: Context) -> list[Reply]:
    """A dry run of a broadcast, with the code that sends it; or the progress of one."""
    segment, _, text = invocation.arguments.strip().partition(" ")
    if segment.casefold() in ("status", "进度"):
        return _progress(ctx, text.strip())
    if not text.strip():
        raise UsageError
    segment = parse_segment(ctx, segment)
    plan = broadcasts.make_plan(ctx.store, ctx.reach, segment, ctx.now())
    summary = broadcasts.describe(plan)
    code = ctx.store.staff.request_confirmation(
        staff=invocation.staff, action="broadcast", arguments={"segment": segment,
                                                               "text": text.strip()},
        summary=summary, now=ctx.now(), ttl=CONFIRM_TTL,
    )
    minutes = int(CONFIRM_TTL.total_seconds() // 60)
    return text_reply(
        ctx.staff_text("staff_broadcast_dry_run", summary=_plan_text(ctx, plan)),
        ctx.staff_text("staff_broadcast_confirm", code=code, minutes=minutes),
    )


def _progress(ctx: Context, number: str) -> list[Reply]:
    if number and not number.isdigit():
        raise UsageError
    broadcast_id = int(number) if number else ctx.store.broadcasts.latest_id()
    sent = ctx.store.broadcasts.get(broadcast_id) if broadcast_id is not None else None
    if sent is None:
        return text_reply(ctx.staff_text("staff_broadcast_unknown"))
    progress = ctx.store.broadcasts.progress(sent)
    return text_reply(ctx.staff_text(
        "staff_broadcast_progress", id=sent.id, segment=sent.segment, queued=sent.queued,
        skipped=sent.skipped, states=_counts(progress) or ctx.staff_text("staff_none"),
    ))


async def send_broadcast(
    invocation: Invocation, ctx: Context, arguments: Mapping[str, Any]
) -> list[Reply]:
    """Queue a confirmed broadcast through the outbox, re-checking every window now."""
    segment, text = str(arguments["segment"]), str(arguments["text"])
    plan = broadcasts.make_plan(ctx.store, ctx.reach, segment, ctx.now())
    message = invocation.message
    # The pipeline keys addressed replies "<platform>:<message id>:to<n>": the outbox rows of
    # this broadcast share that prefix, which is how /broadcast status finds them.
    prefix = f"{message.platform}:{message.message_id}:to"
    with ctx.store.transaction():
        broadcast_id = broadcasts.record(
            ctx.store, staff=invocation.staff, role=invocation.role, segment=segment, text=text,
            plan=plan, outbox_prefix=prefix, now=ctx.now(),
        )
    report = text_reply(
        ctx.staff_text("staff_broadcast_queued", id=broadcast_id, summary=_plan_text(ctx, plan)),
        ctx.staff_text("staff_broadcast_follow", id=broadcast_id),
    )
    return report + [Reply(text=text, to=address) for address in plan.recipients]


COMMANDS = (
    Command("stats", "admin", "/stats [today|7d|30d] — how the bot is doing", stats, ("统计",)),
    Command("outbox", "admin",
            "/outbox — sends waiting or failed, with reasons; /outbox retry <id|all> — send"
            " failed ones again", outbox, ("发件箱",)),
    Command("broadcast", "admin",
            "/broadcast <all|platform:NAME> <text> — dry run, then /confirm;"
            " /broadcast status [id]", broadcast, ("广播",)),
)
CONFIRMED = {"broadcast": send_broadcast}
