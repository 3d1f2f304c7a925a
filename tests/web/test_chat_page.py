"""The web chat in a real browser (Debian chromium, driven by Playwright) on a live server."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from playwright.async_api import async_playwright

from bot.app import build_bot
from bot.config import Config
from bot.server.app import create_app

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


@pytest.fixture
async def server(config: Config) -> AsyncIterator[tuple[str, Any]]:
    bot = build_bot(config)
    runner = web.AppRunner(create_app(bot))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}/", bot
    await runner.cleanup()


async def test_a_person_asks_and_presses_a_button(server: tuple[str, Any]) -> None:
    url, bot = server
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            page = await browser.new_page()
            await page.goto(url)
            assert "Cloud Leaf Tea" in await page.title()
            await page.fill("#text", "多久发货")
            await page.press("#text", "Enter")
            answer = page.locator(".bubble.bot").first
            await answer.wait_for()
            assert "16:00" in await answer.inner_text()
            buttons = page.locator(".bubble.bot .buttons button")
            assert await buttons.count() >= 1
            await buttons.first.click()
            await page.locator(".bubble.bot").nth(1).wait_for()
            assert await page.locator(".bubble.me").count() == 2
            await page.screenshot(path=str(bot.config.resolve(bot.config.store.path)) + ".png")
        finally:
            await browser.close()
    lines = [
        line
        for row in bot.store.db.query("SELECT id FROM customers")
        for line in bot.store.conversations.recent(row["id"])
    ]
    assert [line.direction for line in lines] == ["in", "out", "in", "out"]
