"""Customers: search by name, platform id or order number; one page per person; points."""

from __future__ import annotations

import secrets

from aiohttp import web

from bot.server.console.member import Staff
from bot.server.console.render import PREFIX, page, redirect
from bot.server.running import BOT_KEY
from bot.staff import customers, points
from bot.staff.roles import CONFIRM_TTL


async def search(request: web.Request, staff: Staff) -> web.Response:
    """The search box and what it found."""
    bot = request.app[BOT_KEY]
    query = request.query.get("q", "").strip()
    found = customers.search(bot.store, query) if query else []
    return page(request, "customers.html", {"q": query, "found": found})


async def customer(request: web.Request, staff: Staff) -> web.Response:
    """Everything about one customer; admins also adjust points here."""
    bot = request.app[BOT_KEY]
    profile = customers.profile(bot.store, request.match_info["customer"], bot.clock.now())
    if profile is None:
        raise web.HTTPNotFound(text="no such customer")
    return page(request, "customer.html", {
        "profile": profile, "nonce": secrets.token_urlsafe(12),
        "confirm_above": bot.config.staff.confirm_points_above, "most": points.MOST_POINTS,
    })


def _notice(outcome: points.Adjusted, action: str, amount: int) -> tuple[str, str]:
    if outcome.outcome is points.Outcome.DUPLICATE:
        return "points_duplicate", "error"
    if outcome.outcome is points.Outcome.TOO_FEW:
        return "points_too_few", "error"
    return ("points_granted" if action == "grant" else "points_deducted"), "ok"


async def adjust(request: web.Request, staff: Staff) -> web.StreamResponse:
    """Grant or deduct points; over the confirm limit, a dry run that waits for confirming."""
    bot = request.app[BOT_KEY]
    customer_id = request.match_info["customer"]
    back = f"{PREFIX}/customers/{customer_id}"
    if bot.store.customers.get(customer_id) is None:
        raise web.HTTPNotFound(text="no such customer")
    form = await request.post()
    action, raw = str(form.get("action", "")), str(form.get("points", "")).strip()
    reason, nonce = str(form.get("reason", "")).strip(), str(form.get("nonce", ""))
    if action not in points.ACTIONS or not raw.isdecimal() or not reason or not nonce:
        return redirect(back, "points_form", "error")
    amount = int(raw)
    if not 0 < amount <= points.MOST_POINTS:
        return redirect(back, "points_form", "error")
    # The form's nonce is the key: submitting the same form twice pays once.
    key = f"staff:{action}:console:{nonce}"
    now = bot.clock.now()
    balance = bot.store.loyalty.balance(customer_id, now)
    if action == "deduct" and amount > balance:
        return redirect(back, "points_too_few", "error")
    if points.needs_confirmation(bot.config, amount):
        after = balance + amount if action == "grant" else balance - amount
        summary = f"{action} {amount} points ({balance} → {after}): {reason}"
        code = bot.store.staff.request_confirmation(
            staff=staff.id, action=action, now=now, ttl=CONFIRM_TTL, summary=summary,
            arguments={"customer": customer_id, "points": amount, "reason": reason, "key": key},
        )
        return page(request, "confirm_points.html", {
            "customer_id": customer_id, "summary": summary, "code": code,
            "minutes": int(CONFIRM_TTL.total_seconds() // 60),
        })
    outcome = points.adjust(bot.store, staff=staff.id, role=staff.role, action=action,
                            customer_id=customer_id, points=amount, reason=reason, key=key,
                            now=now)
    return redirect(back, *_notice(outcome, action, amount))


async def confirm(request: web.Request, staff: Staff) -> web.StreamResponse:
    """Carry out a dry run by its code: only its own staff member, once, before it expires."""
    bot = request.app[BOT_KEY]
    customer_id = request.match_info["customer"]
    back = f"{PREFIX}/customers/{customer_id}"
    form = await request.post()
    now = bot.clock.now()
    confirmation = bot.store.staff.use_confirmation(str(form.get("code", "")), staff.id, now)
    if (confirmation is None or confirmation.action not in points.ACTIONS
            or confirmation.arguments.get("customer") != customer_id):
        return redirect(back, "confirm_dead", "error")
    arguments = confirmation.arguments
    outcome = points.adjust(
        bot.store, staff=staff.id, role=staff.role, action=confirmation.action,
        customer_id=customer_id, points=int(arguments["points"]),
        reason=str(arguments["reason"]), key=str(arguments["key"]), now=now,
    )
    return redirect(back, *_notice(outcome, confirmation.action, int(arguments["points"])))


async def block(request: web.Request, staff: Staff) -> web.StreamResponse:
    """Stop answering a customer, or answer them again (as /block and /unblock)."""
    bot = request.app[BOT_KEY]
    found = bot.store.customers.get(request.match_info["customer"])
    if found is None:
        raise web.HTTPNotFound(text="no such customer")
    blocked = str((await request.post()).get("blocked", "")) == "on"
    customers.set_blocked(bot.store, staff=staff.id, role=staff.role, customer=found,
                          blocked=blocked, now=bot.clock.now())
    return redirect(f"{PREFIX}/customers/{found.id}",
                    "customer_blocked" if blocked else "customer_unblocked")
