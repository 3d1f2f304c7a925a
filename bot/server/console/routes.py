"""Every console route with the least role it needs: the one table the server enforces.

The roles are the chat commands' roles (tests/console compares them): the inbox and customer
lookup are an agent's (/handoffs, /take, /release, /who), the knowledge base and its review
queue an editor's (/kb …), points, stats, broadcasts and the audit log an admin's.
"""

from __future__ import annotations

from typing import NamedTuple

from aiohttp import web

from bot.server.console import (
    audit,
    broadcasts,
    customers,
    entrance,
    inbox,
    kb,
    review,
    stats,
)
from bot.server.console.auth import Handler, guarded
from bot.server.console.render import HERE, PREFIX

SECURITY_HEADERS = {
    # Scripts and styles only from our own files: an injected tag does nothing.
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self';"
    " script-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self';"
    " base-uri 'none'",
    # A sign-in link's token must not leak to other sites through the Referer header.
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}


class Page(NamedTuple):
    """One guarded route."""

    method: str
    path: str
    role: str
    handler: Handler


P = PREFIX
ROUTES: tuple[Page, ...] = (
    Page("POST", f"{P}/signout", "agent", entrance.sign_out),
    Page("GET", f"{P}/sessions", "agent", entrance.sessions),
    Page("POST", f"{P}/sessions/revoke", "agent", entrance.revoke),
    # /handoffs, /take, /release
    Page("GET", f"{P}/inbox", "agent", inbox.inbox_page),
    Page("GET", f"{P}/inbox/feed", "agent", inbox.inbox_feed),
    Page("GET", f"{P}/inbox/{{handoff}}", "agent", inbox.conversation),
    Page("GET", f"{P}/inbox/{{handoff}}/feed", "agent", inbox.conversation_feed),
    Page("POST", f"{P}/inbox/{{handoff}}/take", "agent", inbox.take),
    Page("POST", f"{P}/inbox/{{handoff}}/reply", "agent", inbox.reply),
    Page("POST", f"{P}/inbox/{{handoff}}/release", "agent", inbox.release),
    # Canned replies are texts the brand says: kept by editors, like the knowledge base.
    Page("POST", f"{P}/canned", "editor", inbox.save_canned),
    Page("POST", f"{P}/canned/{{reply}}/remove", "editor", inbox.remove_canned),
    # /who
    Page("GET", f"{P}/customers", "agent", customers.search),
    Page("GET", f"{P}/customers/{{customer}}", "agent", customers.customer),
    # /grant, /deduct, /confirm
    Page("POST", f"{P}/customers/{{customer}}/points", "admin", customers.adjust),
    Page("POST", f"{P}/customers/{{customer}}/confirm", "admin", customers.confirm),
    # /block, /unblock
    Page("POST", f"{P}/customers/{{customer}}/block", "admin", customers.block),
    # /kb …
    Page("GET", f"{P}/kb", "editor", kb.kb_list),
    Page("GET", f"{P}/kb/new", "editor", kb.kb_new),
    Page("GET", f"{P}/kb/export.csv", "editor", kb.kb_export),
    Page("GET", f"{P}/kb/import", "editor", kb.kb_import_page),
    Page("POST", f"{P}/kb/import", "editor", kb.kb_import),
    Page("POST", f"{P}/kb/save", "editor", kb.kb_save),
    Page("POST", f"{P}/kb/test", "editor", kb.kb_test),
    Page("POST", f"{P}/kb/preview", "editor", kb.kb_preview),
    Page("POST", f"{P}/kb/undo", "editor", kb.kb_undo),
    Page("GET", f"{P}/kb/{{faq}}/edit", "editor", kb.kb_edit),
    Page("GET", f"{P}/kb/{{faq}}/history", "editor", kb.kb_history),
    Page("POST", f"{P}/kb/{{faq}}/restore", "editor", kb.kb_restore),
    # /kb unanswered, /kb attach
    Page("GET", f"{P}/review", "editor", review.review_page),
    Page("POST", f"{P}/review/attach", "editor", review.attach),
    Page("POST", f"{P}/review/create", "editor", review.create),
    Page("POST", f"{P}/review/dismiss", "editor", review.dismiss),
    # /stats
    Page("GET", f"{P}/stats", "admin", stats.stats_page),
    Page("GET", f"{P}/stats.csv", "admin", stats.stats_csv),
    # /broadcast, /confirm
    Page("GET", f"{P}/broadcasts", "admin", broadcasts.compose),
    Page("POST", f"{P}/broadcasts/plan", "admin", broadcasts.dry_run),
    Page("POST", f"{P}/broadcasts/send", "admin", broadcasts.send),
    Page("GET", f"{P}/broadcasts/{{broadcast}}", "admin", broadcasts.status),
    # /audit
    Page("GET", f"{P}/audit", "admin", audit.audit_page),
)


async def _secure(request: web.Request, response: web.StreamResponse) -> None:
    if request.path == PREFIX or request.path.startswith(PREFIX + "/"):
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if not request.path.startswith(f"{PREFIX}/static/"):
            response.headers["Cache-Control"] = "no-store"


def add_routes(app: web.Application) -> None:
    """Mount the console (unless `[console] enabled = false`)."""
    app.router.add_get(PREFIX, entrance.home)
    app.router.add_get(f"{PREFIX}/", entrance.home)
    app.router.add_get(f"{PREFIX}/welcome", entrance.welcome)
    app.router.add_get(f"{PREFIX}/signin", entrance.link_page)
    app.router.add_post(f"{PREFIX}/signin", entrance.sign_in)
    app.router.add_get(f"{PREFIX}/language", entrance.language)
    app.router.add_static(f"{PREFIX}/static", HERE / "static")
    for route in ROUTES:
        app.router.add_route(route.method, route.path, guarded(route.role, route.handler))
    app.on_response_prepare.append(_secure)
