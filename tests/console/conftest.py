"""Console test setup: a bot with staff of every role, signed-in HTTP clients, a live server."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from playwright.async_api import Browser, Page, async_playwright

from bot.app import Bot, build_bot
from bot.config import Config
from bot.core.clock import FixedClock
from bot.server.app import create_app
from bot.staff.signin import issue_link
from tests.helpers.browser import CHROMIUM, FLAGS
from tests.helpers.staff import ON_DUTY, staff_config

CSRF = re.compile(r'<meta name="csrf" content="([0-9a-f]+)">')


@pytest.fixture
def console_config(make_config: Callable[..., Config]) -> Config:
    """Staff of every role; links last 10 minutes, 5 failed sign-ins pause an address."""
    return staff_config(make_config, console={"signin_attempts": 5})


@pytest.fixture
def clock() -> FixedClock:
    """The bot's clock, standing still inside business hours until a test moves it."""
    return FixedClock(ON_DUTY)


@pytest.fixture
def console_bot(console_config: Config, clock: FixedClock) -> Bot:
    """A bot (not started: the app starts it) with the fixed clock."""
    return build_bot(console_config, clock=clock)


@pytest.fixture
async def app_client(
    console_bot: Bot, aiohttp_client: Callable[..., Any]
) -> TestClient[Any, Any]:
    """An HTTP client of the whole app, not signed in."""
    return await aiohttp_client(create_app(console_bot))


def token_of(link: str) -> str:
    """The token of a sign-in link."""
    return parse_qs(urlsplit(link).query)["token"][0]


@dataclass
class Signed:
    """A client signed in as one staff member, with its CSRF token."""

    client: TestClient[Any, Any]
    csrf: str


async def sign_in(client: TestClient[Any, Any], bot: Bot, staff: str) -> Signed:
    """Sign `client` in as `staff` the way a person does: open the link, press the button."""
    token = token_of(issue_link(bot.store, bot.config, staff, "test", bot.clock.now()))
    opened = await client.get("/console/signin", params={"token": token})
    assert opened.status == 200
    page = await opened.text()
    pre = re.search(r'name="pre" value="([^"]+)"', page)
    assert pre is not None
    answer = await client.post("/console/signin", data={"token": token, "pre": pre.group(1)},
                               allow_redirects=False)
    assert answer.status == 303, await answer.text()
    home = await client.get("/console/sessions")
    found = CSRF.search(await home.text())
    assert found is not None
    return Signed(client, found.group(1))


@pytest.fixture
async def live_server(console_bot: Bot) -> AsyncIterator[tuple[str, Bot]]:
    """The app on 127.0.0.1 at a free port, for a real browser."""
    runner = web.AppRunner(create_app(console_bot))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}", console_bot
    await runner.cleanup()


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    """Debian's chromium through Playwright, as tests/web does it."""
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            yield launched
        finally:
            await launched.close()


def link_for(base: str, bot: Bot, staff: str) -> str:
    """A fresh sign-in link for `staff`, pointing at the live server."""
    token = token_of(issue_link(bot.store, bot.config, staff, "test", bot.clock.now()))
    return f"{base}/console/signin?token={token}"


async def signed_in_page(browser: Browser, base: str, bot: Bot, staff: str, **options: Any
                         ) -> Page:
    """A new browser context signed in as `staff` by opening a link and pressing the button."""
    context = await browser.new_context(**options)
    page = await context.new_page()
    page.set_default_timeout(15_000)
    await page.goto(link_for(base, bot, staff))
    await page.click("#signin")
    await page.wait_for_url(f"{base}/console/inbox")
    return page
