"""A live bot server, a brand's shop page of another origin, and Debian's chromium to drive."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from playwright.async_api import Browser, BrowserContext, Page, async_playwright

from bot.app import Bot, build_bot
from bot.config import Config
from bot.server.app import create_app
from tests.helpers.browser import CHROMIUM, FLAGS
from tests.helpers.staff import STAFF

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
         "device_scale_factor": 2}
DESKTOP = {"viewport": {"width": 1280, "height": 800}}
SHOP_PORT_NAME = "shop.test"


@dataclass
class Live:
    """The running bot and where to reach it."""

    bot: Bot
    url: str  # http://127.0.0.1:<port>/
    port: int
    shop: str  # the demo shop page's origin (allowed to embed)
    stranger: str  # the same page on an origin not allowed


async def _serve(app: web.Application) -> tuple[web.AppRunner, int]:
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]


def _shop(bot_url: dict[str, str]) -> web.Application:
    """The demo page of bot/server/static, pointing at this bot, served from its own origin."""
    page = resources.files("bot.server").joinpath("static/demo.html").read_text("utf-8")

    async def demo(request: web.Request) -> web.Response:
        text = page.replace("http://127.0.0.1:8080/", bot_url["url"])
        return web.Response(text=text, content_type="text/html")

    app = web.Application()
    app.router.add_get("/demo.html", demo)
    return app


@pytest.fixture
async def live(make_config: Callable[..., Config]) -> AsyncIterator[Live]:
    # The shop listens first: the bot's allowed origins name its port.
    bot_url: dict[str, str] = {}
    shop_runner, shop_port = await _serve(_shop(bot_url))
    shop = f"http://shop.test:{shop_port}"
    config = make_config(
        web={"allowed_origins": [shop]}, staff=STAFF,
        handoff={"opens": "00:00", "closes": "24:00"},
    )
    bot = build_bot(config)
    runner, port = await _serve(create_app(bot))
    url = bot_url["url"] = f"http://127.0.0.1:{port}/"
    yield Live(bot, url, port, shop, f"http://stranger.test:{shop_port}")
    await shop_runner.cleanup()
    await runner.cleanup()


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        instance = await playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield instance
        await instance.close()


@pytest.fixture(params=["phone", "desktop"])
def device(request: pytest.FixtureRequest) -> dict[str, Any]:
    return PHONE if request.param == "phone" else DESKTOP


async def new_page(browser: Browser, device: dict[str, Any]) -> tuple[BrowserContext, Page]:
    """A fresh browser profile (its own cookies and storage) and a page in it."""
    context = await browser.new_context(**device)
    return context, await context.new_page()


def shot(tmp_path: Path, name: str) -> str:
    """Where a screenshot goes (the test's own tmp folder)."""
    return str(tmp_path / f"{name}.png")
