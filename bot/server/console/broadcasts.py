"""Broadcasts: compose, a dry run with who is reachable where, confirm, then follow progress."""

from __future__ import annotations

import secrets
from typing import Any

from aiohttp import web

from bot.core.message import Reply
from bot.server.console.member import Staff
from bot.server.console.render import PREFIX, page, redirect
from bot.server.http import json_response
from bot.server.running import BOT_KEY, Running
from bot.staff import broadcasts
from bot.staff.roles import CONFIRM_TTL

LONGEST_TEXT = 2000


def _segments(bot: Running) -> list[str]:
    return [broadcasts.ALL, *(f"platform:{name}" for name in bot.pipeline.outgoing.platforms)]


async def compose(request: web.Request, staff: Staff) -> web.Response:
    """The compose form and the latest broadcasts."""
    bot = request.app[BOT_KEY]
    return page(request, "broadcasts.html", {
        "segments": _segments(bot), "recent": bot.store.broadcasts.recent(20),
        "audience": len(bot.store.broadcasts.audience()),
    })


async def dry_run(request: web.Request, staff: Staff) -> web.StreamResponse:
    """Who it would reach now, per platform and window, and the code that sends it."""
    bot = request.app[BOT_KEY]
    form = await request.post()
    text = str(form.get("text", "")).strip()
    segment = broadcasts.segment_of(bot.pipeline.outgoing, str(form.get("segment", "")))
    if segment is None or not text:
        return redirect(f"{PREFIX}/broadcasts", "broadcast_form", "error")
    if len(text) > LONGEST_TEXT:
        return redirect(f"{PREFIX}/broadcasts", "broadcast_too_long", "error")
    now = bot.clock.now()
    plan = broadcasts.make_plan(bot.store, bot.pipeline.outgoing, segment, now)
    code = bot.store.staff.request_confirmation(
        staff=staff.id, action="broadcast", arguments={"segment": segment, "text": text},
        summary=broadcasts.describe(plan), now=now, ttl=CONFIRM_TTL,
    )
    return page(request, "broadcast_plan.html", {
        "segment": segment, "text": text, "plan": plan, "code": code,
        "minutes": int(CONFIRM_TTL.total_seconds() // 60),
    })


async def send(request: web.Request, staff: Staff) -> web.StreamResponse:
    """Queue a confirmed broadcast through the outbox, re-checking every window now."""
    bot = request.app[BOT_KEY]
    form = await request.post()
    now = bot.clock.now()
    confirmation = bot.store.staff.use_confirmation(str(form.get("code", "")), staff.id, now)
    if confirmation is None or confirmation.action != "broadcast":
        return redirect(f"{PREFIX}/broadcasts", "confirm_dead", "error")
    segment = str(confirmation.arguments["segment"])
    text = str(confirmation.arguments["text"])
    plan = broadcasts.make_plan(bot.store, bot.pipeline.outgoing, segment, now)
    prefix = f"console:broadcast:{secrets.token_hex(8)}:"
    with bot.store.transaction():
        broadcast_id = broadcasts.record(
            bot.store, staff=staff.id, role=staff.role, segment=segment, text=text, plan=plan,
            outbox_prefix=prefix, now=now,
        )
        bot.pipeline.outgoing.deliver(
            [Reply(text=text, to=address) for address in plan.recipients], prefix.rstrip(":")
        )
    return redirect(f"{PREFIX}/broadcasts/{broadcast_id}", "broadcast_queued")


def _progress(bot: Running, broadcast_id: int) -> dict[str, Any] | None:
    sent = bot.store.broadcasts.get(broadcast_id)
    if sent is None:
        return None
    progress = bot.store.broadcasts.progress(sent)
    done = sum(progress.get(status, 0) for status in ("sent", "failed", "undeliverable"))
    return {"id": sent.id, "segment": sent.segment, "text": sent.text, "queued": sent.queued,
            "skipped": sent.skipped, "staff": sent.staff, "outbox": progress, "done": done,
            "finished": done >= sum(progress.values())}


async def status(request: web.Request, staff: Staff) -> web.StreamResponse:
    """One broadcast's progress through the outbox (the page refreshes itself)."""
    bot = request.app[BOT_KEY]
    raw = request.match_info["broadcast"]
    found = _progress(bot, int(raw)) if raw.isdigit() else None
    if found is None:
        raise web.HTTPNotFound(text="no such broadcast")
    if "application/json" in request.headers.get("Accept", ""):
        return json_response(found)
    return page(request, "broadcast.html", {"broadcast": found})
