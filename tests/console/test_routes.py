"""Every console route's role check over HTTP: who may, who is refused, and CSRF.

The table of routes is walked whole, so a route added without a role shows up here; the
roles are compared with the chat commands doing the same work.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from aiohttp import FormData
from aiohttp.test_utils import TestClient

from bot.app import Bot
from bot.server.console.routes import ROUTES, Page
from bot.staff.roles import ROLES, allows
from handlers import COMMANDS
from tests.console.conftest import Signed, sign_in
from tests.helpers.chat import Chat

# Each family of console routes does the work of these chat commands.
CHAT_EQUIVALENT = {
    "/console/inbox": "take",
    "/console/customers": "who",
    "/console/customers/{customer}/points": "grant",
    "/console/customers/{customer}/confirm": "grant",
    "/console/customers/{customer}/block": "block",
    "/console/kb": "kb answer",
    "/console/review": "kb attach",
    "/console/stats": "stats",
    "/console/broadcasts": "broadcast",
    "/console/audit": "audit",
}


def _family(path: str) -> str | None:
    for prefix in sorted(CHAT_EQUIVALENT, key=len, reverse=True):
        if path == prefix or path.startswith(prefix + "/") or path.startswith(prefix + "."):
            return prefix
    return None


def test_console_roles_are_the_chat_roles() -> None:
    checked = 0
    for route in ROUTES:
        family = _family(route.path)
        if family is None:
            continue
        command = COMMANDS.commands[CHAT_EQUIVALENT[family]]
        assert route.role == command.role, f"{route.method} {route.path} vs /{command.name}"
        checked += 1
    assert checked >= 30


async def _world(bot: Bot) -> dict[str, str]:
    """One of everything a route can name: a handoff, a customer, an FAQ, a broadcast …"""
    chat = Chat(bot, user_id="shopper")
    await chat.say("人工")
    [handoff] = bot.store.handoffs.waiting()
    faq = bot.store.kb.all()[0]
    now = bot.clock.now()
    bot.store.broadcasts.record(staff="console:admin", segment="all", text="hi", queued=0,
                                skipped=0, outbox_prefix="test:", now=now)
    reply_id = bot.store.canned.save("hello", "Hello!", "test", now)
    return {"handoff": str(handoff.id), "customer": handoff.customer_id, "faq": faq.id,
            "broadcast": str(bot.store.broadcasts.latest_id()), "reply": str(reply_id)}


def _path(route: Page, world: dict[str, str]) -> str:
    path = route.path
    for name, value in world.items():
        path = path.replace("{" + name + "}", value)
    assert "{" not in path, path
    return path


def _form(route: Page, csrf: str | None) -> FormData:
    form = FormData()
    if csrf is not None:
        form.add_field("csrf", csrf)
    if route.path.endswith("/kb/import"):
        form.add_field("file", io.BytesIO(b"faq_id,kind,language,text,target\n"),
                       filename="empty.csv", content_type="text/csv")
    else:
        form.add_field("text", "hello")
    return form


async def _request(
    signed: Signed | TestClient[Any, Any], route: Page, world: dict[str, str],
    csrf: str | None,
) -> Any:
    client = signed.client if isinstance(signed, Signed) else signed
    path = _path(route, world)
    if route.method == "GET":
        return await client.get(path, allow_redirects=False)
    return await client.post(path, data=_form(route, csrf), allow_redirects=False)


@pytest.mark.parametrize("role", ROLES)
async def test_every_route_checks_the_role(
    role: str, app_client: TestClient[Any, Any], console_bot: Bot
) -> None:
    world = await _world(console_bot)
    staff = f"console:{role}"
    signed = await sign_in(app_client, console_bot, staff)
    # Signing out ends the session: last.
    for route in sorted(ROUTES, key=lambda r: r.path.endswith("/signout")):
        answer = await _request(signed, route, world, signed.csrf)
        where = f"{role} {route.method} {route.path}: {answer.status}"
        assert answer.status < 500, where
        if allows(role, route.role):
            assert answer.status not in (401, 403), where
        else:
            assert answer.status == 403, where
            assert "may not do this" in await answer.text(), where
        if route.path.endswith("/sessions/revoke") and answer.status == 303:
            signed = await sign_in(app_client, console_bot, staff)


async def test_signed_out_requests_are_sent_to_sign_in(
    app_client: TestClient[Any, Any], console_bot: Bot
) -> None:
    world = await _world(console_bot)
    for route in ROUTES:
        answer = await _request(app_client, route, world, None)
        if route.method == "GET":
            assert answer.status == 303, route.path
            assert answer.headers["Location"].startswith("/console/welcome?next="), route.path
        else:
            assert answer.status == 401, route.path


async def test_a_post_without_its_csrf_token_is_refused(
    app_client: TestClient[Any, Any], console_bot: Bot
) -> None:
    world = await _world(console_bot)
    signed = await sign_in(app_client, console_bot, "console:admin")
    before = console_bot.store.db.scalar("SELECT count(*) FROM staff_audit")
    for route in ROUTES:
        if route.method != "POST":
            continue
        for token in (None, "0" * 64):
            answer = await _request(signed, route, world, token)
            assert answer.status == 403, route.path
            assert "did not come from your open console page" in await answer.text()
    assert console_bot.store.db.scalar("SELECT count(*) FROM staff_audit") == before
    assert console_bot.store.handoffs.get(int(world["handoff"])).status == "queued"  # type: ignore[union-attr]


async def test_console_pages_carry_the_security_headers(
    app_client: TestClient[Any, Any], console_bot: Bot
) -> None:
    signed = await sign_in(app_client, console_bot, "console:agent")
    answer = await signed.client.get("/console/inbox")
    assert "script-src 'self'" in answer.headers["Content-Security-Policy"]
    assert answer.headers["Referrer-Policy"] == "no-referrer"
    assert answer.headers["Cache-Control"] == "no-store"
    assert answer.headers["X-Frame-Options"] == "DENY"


async def test_odd_requests_get_a_clear_answer_never_a_5xx(
    app_client: TestClient[Any, Any], console_bot: Bot
) -> None:
    signed = await sign_in(app_client, console_bot, "console:admin")
    odd = [
        {"handoff": "999999", "customer": "nobody", "faq": "no-such-faq", "broadcast": "77",
         "reply": "12345"},
        {"handoff": "abc", "customer": "%E4%BD%A0", "faq": "UPPER CASE", "broadcast": "x",
         "reply": "-1"},
    ]
    fields = {"text": "x" * 5000, "points": "99999999999999999999", "action": "steal",
              "segment": "platform:nowhere", "code": "NOPE", "item": "abc", "faq": "",
              "revision": "r1", "from": "2026-13-40", "to": "yesterday", "id": "Bad Id!",
              "original": "no-such-faq", "question": "", "session": "x", "blocked": "maybe"}
    for world in odd:
        for route in ROUTES:
            if route.path.endswith("/signout"):
                continue
            path = _path(route, world)
            if route.method == "GET":
                answer = await signed.client.get(path, params=fields, allow_redirects=False)
            else:
                answer = await signed.client.post(path, data={**fields, "csrf": signed.csrf},
                                                  allow_redirects=False)
            assert answer.status < 500, f"{route.method} {path}: {answer.status}"
