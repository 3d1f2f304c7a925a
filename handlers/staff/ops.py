"""Operations commands for admins: /stats, /outbox and /broadcast (dry run, then /confirm)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bot.core.errors import UsageError
from bot.core.language import ENGLISH, HANS, HANT
from bot.core.message import Address, Reply
from bot.runtime.context import Context
from handlers.staff.command import CONFIRM_TTL, Command, Invocation, text_reply

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
    lines = [
        f"Since {local:%Y-%m-%d %H:%M} ({period}, {ctx.config.bot.timezone})",
        "messages: " + ("; ".join(
            f"{platform} in {counts['in']} / out {counts['out']}"
            for platform, counts in sorted(messages.items())
        ) or "none"),
        f"customers: {new} new, {active} active",
        f"questions: {questions} — answered {_share(answered, questions)}, suggested"
        f" {_share(suggested, questions)}, fallback {_share(fallback, questions)}",
        # Not questions, so not in the line above: the conversation's own moves.
        f"small talk {turns.get('small_talk', 0)}, replies in context"
        f" {turns.get('context', 0)}, complaints {turns.get('complaint', 0)},"
        f" distress {turns.get('distress', 0)}",
        f"handoffs: {handoffs['requested']} requested, {handoffs['taken']} taken,"
        f" {handoffs['closed']} closed ({handoffs['timed_out']} idle);"
        f" {handoffs['rated']} rated, average {float(handoffs['average']):.1f}",
        "outbox: " + (", ".join(f"{status} {n}" for status, n in sorted(outbox.items()))
                      or "empty"),
    ]
    return text_reply(*lines)


async def outbox(invocation: Invocation, ctx: Context) -> list[Reply]:
    """Sends waiting or given up on, with the reason."""
    if invocation.arguments.strip():
        raise UsageError
    rows = ctx.store.outbox.list(("pending", "sending", "failed", "undeliverable"), OUTBOX_LIMIT)
    counts = ctx.store.outbox.counts()
    lines = [", ".join(f"{status} {n}" for status, n in sorted(counts.items())) or "empty"]
    lines.extend(
        f"#{row.id} {row.status} {row.request.platform}:{row.request.chat_id}"
        f" attempts {row.attempts}" + (f" — {row.last_error[:120]}" if row.last_error else "")
        for row in rows
    )
    return text_reply(*lines)


@dataclass(slots=True)
class Plan:
    """Who a broadcast would reach now, and who it would skip."""

    recipients: list[Address] = field(default_factory=list)
    outside_window: int = 0
    unreachable: int = 0
    by_platform: Counter[str] = field(default_factory=Counter)


def parse_segment(ctx: Context, segment: str) -> str:
    """"all" or "platform:<name>" of a platform this bot runs, else a UsageError."""
    if segment.casefold() in ("all", "全部"):
        return "all"
    kind, _, name = segment.partition(":")
    if kind.casefold() == "platform" and name in ctx.reach.platforms:
        return f"platform:{name}"
    raise UsageError


def make_plan(ctx: Context, segment: str) -> Plan:
    """Opted-in customers of the segment, each on their most recent open platform."""
    plan = Plan()
    now = ctx.now()
    only = segment.removeprefix("platform:") if segment != "all" else None
    for customer_id in ctx.store.broadcasts.audience():
        identities = [
            identity for identity in ctx.store.customers.reachable_identities(customer_id)
            if identity.platform in ctx.reach.platforms
            and (only is None or identity.platform == only)
        ]
        if not identities:
            plan.unreachable += 1
            continue
        for identity in identities:
            if ctx.reach.is_open(identity.platform, identity.user_id, now):
                plan.recipients.append(Address(identity.platform, identity.user_id,
                                               identity.user_id))
                plan.by_platform[identity.platform] += 1
                break
        else:
            plan.outside_window += 1
    return plan


def _describe(plan: Plan) -> str:
    platforms = ", ".join(f"{name} {n}" for name, n in sorted(plan.by_platform.items()))
    return (
        f"{len(plan.recipients)} recipients ({platforms or 'none'}), {plan.outside_window}"
        f" skipped outside the messaging window, {plan.unreachable} unreachable"
    )


async def broadcast(invocation: Invocation, ctx: Context) -> list[Reply]:
    """A dry run of a broadcast, with the code that sends it; or the progress of one."""
    segment, _, text = invocation.arguments.strip().partition(" ")
    if segment.casefold() in ("status", "进度"):
        return _progress(ctx, text.strip())
    if not text.strip():
        raise UsageError
    segment = parse_segment(ctx, segment)
    plan = make_plan(ctx, segment)
    summary = _describe(plan)
    code = ctx.store.staff.request_confirmation(
        staff=invocation.staff, action="broadcast", arguments={"segment": segment,
                                                               "text": text.strip()},
        summary=summary, now=ctx.now(), ttl=CONFIRM_TTL,
    )
    minutes = int(CONFIRM_TTL.total_seconds() // 60)
    return text_reply(
        f"Dry run, nothing sent: {summary}.",
        f"Send it with /confirm {code} within {minutes} minutes.",
    )


def _progress(ctx: Context, number: str) -> list[Reply]:
    if number and not number.isdigit():
        raise UsageError
    broadcast_id = int(number) if number else ctx.store.broadcasts.latest_id()
    sent = ctx.store.broadcasts.get(broadcast_id) if broadcast_id is not None else None
    if sent is None:
        return text_reply("No such broadcast.")
    progress = ctx.store.broadcasts.progress(sent)
    states = ", ".join(f"{status} {n}" for status, n in sorted(progress.items())) or "none"
    return text_reply(
        f"Broadcast {sent.id} to {sent.segment}: {sent.queued} queued, {sent.skipped} skipped;"
        f" outbox: {states}."
    )


async def send_broadcast(
    invocation: Invocation, ctx: Context, arguments: Mapping[str, Any]
) -> list[Reply]:
    """Queue a confirmed broadcast through the outbox, re-checking every window now."""
    segment, text = str(arguments["segment"]), str(arguments["text"])
    plan = make_plan(ctx, segment)
    skipped = plan.outside_window + plan.unreachable
    message = invocation.message
    # The pipeline keys addressed replies "<platform>:<message id>:to<n>": the outbox rows of
    # this broadcast share that prefix, which is how /broadcast status finds them.
    prefix = f"{message.platform}:{message.message_id}:to"
    with ctx.store.transaction():
        broadcast_id = ctx.store.broadcasts.record(
            staff=invocation.staff, segment=segment, text=text, queued=len(plan.recipients),
            skipped=skipped, outbox_prefix=prefix, now=ctx.now(),
        )
        invocation.audit(
            ctx, "broadcast", target=segment,
            after={"id": broadcast_id, "text": text, "queued": len(plan.recipients),
                   "skipped": skipped},
        )
    report = text_reply(
        f"Broadcast {broadcast_id} queued: {_describe(plan)}.",
        f"Progress: /broadcast status {broadcast_id}",
    )
    return report + [Reply(text=text, to=address) for address in plan.recipients]


COMMANDS = (
    Command("stats", "admin", "/stats [today|7d|30d] — how the bot is doing", stats, ("统计",)),
    Command("outbox", "admin", "/outbox — sends waiting or failed, with reasons", outbox,
            ("发件箱",)),
    Command("broadcast", "admin",
            "/broadcast <all|platform:NAME> <text> — dry run, then /confirm;"
            " /broadcast status [id]", broadcast, ("广播",)),
)
CONFIRMED = {"broadcast": send_broadcast}
