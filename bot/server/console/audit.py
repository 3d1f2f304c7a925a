"""The audit log: every change staff made, filtered by who, what, target and day."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from typing import Any

from aiohttp import web

from bot.server.console.member import Staff
from bot.server.console.render import page
from bot.server.running import BOT_KEY
from bot.store.staff.audit_log import AuditFilter

PAGE = 100


def _day(raw: str, zone: Any, *, end: bool) -> datetime | None:
    try:
        day = date.fromisoformat(raw.strip())
    except ValueError:
        return None
    return datetime.combine(day + timedelta(days=1) if end else day, time(), zone)


def shown(value: Any) -> str:
    """A before/after value as staff read it."""
    if value is None:
        return ""
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= 400 else text[:397] + "…"


async def audit_page(request: web.Request, staff: Staff) -> web.Response:
    """The filtered log, newest first, a page at a time."""
    bot = request.app[BOT_KEY]
    zone = bot.config.bot.zone
    query = request.query
    where = AuditFilter(
        staff=query.get("staff", ""), action=query.get("action", ""),
        target=query.get("target", "").strip(),
        since=_day(query.get("from", ""), zone, end=False),
        until=_day(query.get("to", ""), zone, end=True),
    )
    raw = query.get("before", "")
    entries = bot.store.audit_log.search(where, PAGE, int(raw) if raw.isdigit() else 0)
    people, actions = bot.store.audit_log.choices()
    families = sorted({action.split(".")[0] + "." for action in actions if "." in action})
    return page(request, "audit.html", {
        "entries": entries, "people": people, "actions": [*families, *actions],
        "filters": {key: value for key, value in query.items() if key != "before"},
        "shown": shown, "more": len(entries) == PAGE,
    })
