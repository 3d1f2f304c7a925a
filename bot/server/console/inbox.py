"""The inbox: handoffs waiting and held, live; one conversation to take, answer and release."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from aiohttp import web

from bot.core.message import Customer
from bot.runtime.context import Context
from bot.server.console.member import Staff
from bot.server.console.render import PREFIX, local_time, page, redirect
from bot.server.http import json_response
from bot.server.running import BOT_KEY, Running
from bot.staff import inbox
from bot.staff.handoff import expire_idle
from bot.store.staff.handoffs import Handoff

TRANSCRIPT = 80
LONGEST_REPLY = 2000
RECENTLY_CLOSED = 15


def context_of(bot: Running) -> Context:
    """A handler context not answering anyone (like the handoff timer's)."""
    return bot.pipeline.context(Customer("", ()), bot.config.bot.default_language)


def deliver(bot: Running, outcome: inbox.Outcome, what: str) -> None:
    """Send the step's replies through the outbox, each once."""
    if outcome.replies:
        bot.pipeline.outgoing.deliver(outcome.replies, f"console:{what}:{secrets.token_hex(8)}")


def _row(request: web.Request, handoff: Handoff) -> dict[str, Any]:
    customer = request.app[BOT_KEY].store.customers.get(handoff.customer_id)
    return {
        "id": handoff.id, "status": handoff.status, "agent": handoff.agent or "",
        "platform": handoff.platform, "user_id": handoff.user_id,
        "customer_id": handoff.customer_id,
        "name": (customer.display_name if customer else "") or handoff.user_id,
        "since": local_time(request, handoff.requested_at, "%m-%d %H:%M"),
        "rating": handoff.rating,
    }


def _queue(request: web.Request) -> list[dict[str, Any]]:
    bot = request.app[BOT_KEY]
    # The idle timeout applies whenever someone looks, as it does for /handoffs in chat.
    ctx = context_of(bot)
    closing = expire_idle(ctx, None)
    if closing:
        bot.pipeline.outgoing.deliver(closing, f"console:idle:{secrets.token_hex(8)}")
    return [_row(request, handoff) for handoff in bot.store.handoffs.waiting(limit=200)]


async def inbox_page(request: web.Request, staff: Staff) -> web.Response:
    """Who waits for a person and who holds whom; the list refreshes itself."""
    bot = request.app[BOT_KEY]
    closed = [_row(request, h) for h in bot.store.directory.recently_closed(RECENTLY_CLOSED)]
    return page(request, "inbox.html", {"queue": _queue(request), "closed": closed,
                                        "canned": bot.store.canned.all()})


async def inbox_feed(request: web.Request, staff: Staff) -> web.Response:
    """The queue as JSON, for the page to refresh without a reload."""
    return json_response({"handoffs": _queue(request), "me": staff.id})


def _handoff(request: web.Request) -> Handoff:
    raw = request.match_info["handoff"]
    handoff = request.app[BOT_KEY].store.handoffs.get(int(raw)) if raw.isdigit() else None
    if handoff is None:
        raise web.HTTPNotFound(text="no such conversation")
    return handoff


def _lines(request: web.Request, handoff: Handoff, after: int = 0) -> list[dict[str, Any]]:
    entries = request.app[BOT_KEY].store.directory.transcript(
        [handoff.customer_id], TRANSCRIPT, after_id=after
    )
    return [
        {"id": entry.id, "direction": entry.direction, "text": entry.text,
         "platform": entry.platform, "route": entry.route or "",
         "time": local_time(request, entry.created_at, "%m-%d %H:%M")}
        for entry in entries
    ]


async def conversation(request: web.Request, staff: Staff) -> web.Response:
    """One conversation: the transcript (live), take, reply with canned texts, release."""
    bot = request.app[BOT_KEY]
    handoff = _handoff(request)
    return page(request, "conversation.html", {
        "handoff": _row(request, handoff), "lines": _lines(request, handoff),
        "canned": bot.store.canned.all(), "mine": handoff.agent == staff.id
        and handoff.status == "claimed",
        # WhatsApp's 24 hours, WeChat's 48: past them a reply cannot reach the customer.
        "window_open": bot.pipeline.outgoing.is_open(handoff.platform, handoff.user_id,
                                                     bot.clock.now()),
    })


async def conversation_feed(request: web.Request, staff: Staff) -> web.Response:
    """New transcript lines and the handoff's state, for the page to follow live."""
    handoff = _handoff(request)
    raw = request.query.get("after", "0")
    after = int(raw) if raw.isdigit() else 0
    return json_response({"handoff": _row(request, handoff),
                          "lines": _lines(request, handoff, after),
                          "mine": handoff.agent == staff.id and handoff.status == "claimed"})


STEP_NOTES = {
    inbox.Step.MISSING: "handoff_missing", inbox.Step.HELD: "handoff_held",
    inbox.Step.TAKEN: "handoff_taken", inbox.Step.NOT_YOURS: "handoff_not_yours",
    inbox.Step.CLOSED: "handoff_closed",
}


def _step(
    request: web.Request, what: str, run: Callable[[Context, int], inbox.Outcome],
    done: tuple[str, str],
) -> web.Response:
    """Run one inbox step and deliver its replies in one transaction; say how it went."""
    bot = request.app[BOT_KEY]
    handoff = _handoff(request)
    with bot.store.transaction():
        outcome = run(context_of(bot), handoff.id)
        deliver(bot, outcome, f"{what}:{handoff.id}")
    if outcome.step is inbox.Step.DONE:
        return redirect(*done)
    return redirect(f"{PREFIX}/inbox/{handoff.id}", STEP_NOTES[outcome.step], "error")


async def take(request: web.Request, staff: Staff) -> web.StreamResponse:
    """Claim the conversation for oneself; the customer hears a person joined."""
    location = f"{PREFIX}/inbox/{_handoff(request).id}"
    return _step(request, "take", lambda ctx, number: inbox.take(
        ctx, number, staff.id, staff.role, None), (location, "handoff_now_yours"))


async def reply(request: web.Request, staff: Staff) -> web.StreamResponse:
    """Send the agent's text to the customer on their own platform."""
    handoff = _handoff(request)
    form = await request.post()
    text = str(form.get("text", "")).strip()
    location = f"{PREFIX}/inbox/{handoff.id}"
    if not text:
        return redirect(location, "reply_empty", "error")
    if len(text) > LONGEST_REPLY:
        return redirect(location, "reply_too_long", "error")
    return _step(request, "reply", lambda ctx, number: inbox.answer(
        ctx, number, staff.id, staff.role, text), (location, "reply_sent"))


async def release(request: web.Request, staff: Staff) -> web.StreamResponse:
    """Hand the conversation back to the bot; the customer is asked to rate it."""
    return _step(request, "release", lambda ctx, number: inbox.release(
        ctx, number, staff.id, staff.role, None), (f"{PREFIX}/inbox", "handoff_released"))


async def save_canned(request: web.Request, staff: Staff) -> web.StreamResponse:
    """Add or change a canned reply (editors keep the texts agents use)."""
    bot = request.app[BOT_KEY]
    form = await request.post()
    title, text = str(form.get("title", "")).strip(), str(form.get("text", "")).strip()
    back = str(form.get("back", "")) or f"{PREFIX}/inbox"
    if not back.startswith(PREFIX + "/"):
        back = f"{PREFIX}/inbox"
    if not title or not text:
        return redirect(back, "canned_needs_both", "error")
    now = bot.clock.now()
    with bot.store.transaction():
        reply_id = bot.store.canned.save(title, text, staff.id, now)
        bot.store.staff.audit(staff=staff.id, role=staff.role, action="canned.save",
                              target=title, after={"id": reply_id, "text": text}, now=now)
    return redirect(back, "canned_saved")


async def remove_canned(request: web.Request, staff: Staff) -> web.StreamResponse:
    """Delete a canned reply."""
    bot = request.app[BOT_KEY]
    raw = request.match_info["reply"]
    found = bot.store.canned.get(int(raw)) if raw.isdigit() else None
    if found is None:
        return redirect(f"{PREFIX}/inbox", "canned_missing", "error")
    now = bot.clock.now()
    with bot.store.transaction():
        bot.store.canned.remove(found.id)
        bot.store.staff.audit(staff=staff.id, role=staff.role, action="canned.remove",
                              target=found.title, before={"text": found.text}, now=now)
    return redirect(f"{PREFIX}/inbox", "canned_removed")
