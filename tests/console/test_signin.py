"""Signing in by link over HTTP: once, within its minutes, rate limited; sessions revoked."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from bot.app import Bot
from bot.core.clock import FixedClock
from bot.staff.signin import hash_of, issue_link
from tests.console.conftest import sign_in, token_of


async def _spend(client: TestClient[Any, Any], token: str) -> Any:
    opened = await client.get("/console/signin", params={"token": token})
    pre = opened.cookies["brandbot_console_pre"].value
    return await client.post("/console/signin", data={"token": token, "pre": pre},
                             allow_redirects=False)


async def test_a_link_signs_in_once(app_client: TestClient[Any, Any], console_bot: Bot) -> None:
    token = token_of(issue_link(console_bot.store, console_bot.config, "console:agent", "test",
                                console_bot.clock.now()))
    first = await _spend(app_client, token)
    assert first.status == 303
    cookie = first.cookies["brandbot_console"]
    assert cookie["httponly"] and cookie["samesite"] == "Strict" and cookie["path"] == "/console"
    assert int(cookie["max-age"]) == 12 * 3600
    inbox = await app_client.get("/console/inbox")
    assert inbox.status == 200 and "console:agent" in await inbox.text()
    again = await _spend(app_client, token)
    assert again.status == 400
    assert "used already" in await again.text()
    # The store keeps only the hash of the token.
    assert console_bot.store.db.scalar(
        "SELECT count(*) FROM console_links WHERE token_hash = ?", [hash_of(token)]) == 1
    assert console_bot.store.db.scalar(
        "SELECT count(*) FROM console_links WHERE token_hash = ?", [token]) == 0


async def test_an_expired_link_is_refused(
    app_client: TestClient[Any, Any], console_bot: Bot, clock: FixedClock
) -> None:
    token = token_of(issue_link(console_bot.store, console_bot.config, "console:admin", "test",
                                clock.now()))
    clock.advance(minutes=10, seconds=1)
    answer = await _spend(app_client, token)
    assert answer.status == 400
    assert "brandbot_console" not in answer.cookies
    assert (await app_client.get("/console/inbox", allow_redirects=False)).status == 303


async def test_opening_the_link_does_not_spend_it(
    app_client: TestClient[Any, Any], console_bot: Bot
) -> None:
    """Chat apps fetch link previews: only pressing the button signs in."""
    token = token_of(issue_link(console_bot.store, console_bot.config, "console:agent", "test",
                                console_bot.clock.now()))
    for _ in range(3):
        assert (await app_client.get("/console/signin", params={"token": token})).status == 200
    assert (await _spend(app_client, token)).status == 303


async def test_failed_sign_ins_pause_the_address(
    app_client: TestClient[Any, Any], console_bot: Bot, clock: FixedClock
) -> None:
    for number in range(5):
        assert (await _spend(app_client, f"guess-{number}")).status == 400
    good = token_of(issue_link(console_bot.store, console_bot.config, "console:agent", "test",
                               clock.now()))
    paused = await _spend(app_client, good)
    assert paused.status == 429
    assert "Too many failed sign-ins" in await paused.text()
    clock.advance(minutes=16)
    fresh = token_of(issue_link(console_bot.store, console_bot.config, "console:agent", "test",
                                clock.now()))
    assert (await _spend(app_client, fresh)).status == 303


async def test_a_revoked_session_is_signed_out(
    app_client: TestClient[Any, Any], console_bot: Bot, aiohttp_client: Any
) -> None:
    admin = await sign_in(app_client, console_bot, "console:admin")
    other = await aiohttp_client(app_client.server)
    agent = await sign_in(other, console_bot, "console:agent")
    assert (await agent.client.get("/console/inbox")).status == 200
    [session] = console_bot.store.console.live_sessions(console_bot.clock.now(), "console:agent")
    revoked = await admin.client.post("/console/sessions/revoke", data={
        "csrf": admin.csrf, "session": session.id_hash}, allow_redirects=False)
    assert revoked.status == 303
    gone = await agent.client.get("/console/inbox", allow_redirects=False)
    assert gone.status == 303 and gone.headers["Location"].startswith("/console/welcome")
    actions = [row["action"] for row in console_bot.store.db.query(
        "SELECT action FROM staff_audit ORDER BY id")]
    assert actions.count("console.signin") == 2 and "console.revoke" in actions


async def test_a_session_expires(
    app_client: TestClient[Any, Any], console_bot: Bot, clock: FixedClock
) -> None:
    await sign_in(app_client, console_bot, "console:agent")
    clock.advance(hours=12, seconds=1)
    assert (await app_client.get("/console/inbox", allow_redirects=False)).status == 303


async def test_a_forged_cookie_opens_nothing(
    app_client: TestClient[Any, Any], console_bot: Bot
) -> None:
    signed = await sign_in(app_client, console_bot, "console:agent")
    value = signed.client.session.cookie_jar.filter_cookies(
        signed.client.make_url("/console/"))["brandbot_console"].value
    session_id, _, signature = value.rpartition(".")
    signed.client.session.cookie_jar.update_cookies(
        {"brandbot_console": f"{session_id}.{'0' * len(signature)}"},
        signed.client.make_url("/console/"))
    assert (await signed.client.get("/console/inbox", allow_redirects=False)).status == 303


async def test_only_members_get_links(console_bot: Bot) -> None:
    try:
        issue_link(console_bot.store, console_bot.config, "telegram:999", "test",
                   console_bot.clock.now())
    except ValueError as error:
        assert "not in [staff.members]" in str(error)
    else:
        raise AssertionError("a link for a stranger")
