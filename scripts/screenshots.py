"""The README's screenshots, taken again: `.venv/bin/python scripts/screenshots.py`.

Serves the sample brand on a fresh store (127.0.0.1, a free port) and the demo shop page on
another, and drives Debian's chromium with Playwright (as tests/web does) into docs/screenshots/.
"""

from __future__ import annotations

import asyncio
import shutil
import sys
import tempfile
from dataclasses import replace
from importlib import resources
from pathlib import Path

from aiohttp import web
from playwright.async_api import Page, async_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.app import build_bot  # noqa: E402 (after the path above)
from bot.config import load_config  # noqa: E402
from bot.config.store import StoreSettings  # noqa: E402
from bot.server.app import create_app  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--host-resolver-rules=MAP *.test 127.0.0.1"]


async def serve(app: web.Application) -> tuple[web.AppRunner, int]:
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, runner.addresses[0][1]


async def ask(page: Page, text: str, answers: int) -> None:
    """Type a question and wait for the bot's answer bubble."""
    await page.fill("#text", text)
    await page.keyboard.press("Enter")
    await page.locator(".line.bot:not(.typing)").nth(answers - 1).wait_for()
    await page.wait_for_timeout(300)


async def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp())
    config = load_config(ROOT / "config.toml", env={})
    demo_page = resources.files("bot.server").joinpath("static/demo.html").read_text("utf-8")
    shop_url: dict[str, str] = {}

    async def demo(request: web.Request) -> web.Response:
        return web.Response(text=demo_page.replace("http://127.0.0.1:8080/", shop_url["bot"]),
                            content_type="text/html")

    shop = web.Application()
    shop.router.add_get("/demo.html", demo)
    shop_runner, shop_port = await serve(shop)
    config = replace(
        config, store=StoreSettings(path=str(folder / "brandbot.db")),
        web=replace(config.web, allowed_origins=(f"http://shop.test:{shop_port}",)),
    )
    runner, port = await serve(create_app(build_bot(config)))
    shop_url["bot"] = f"http://127.0.0.1:{port}/"
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        desktop = await browser.new_page(viewport={"width": 1100, "height": 760})
        await desktop.goto(shop_url["bot"])
        await desktop.wait_for_timeout(500)
        await ask(desktop, "多久发货？", 2)
        await ask(desktop, "how do I return something?", 3)
        await desktop.screenshot(path=str(OUT / "web-chat-desktop.png"))
        phone = await browser.new_page(viewport={"width": 390, "height": 760},
                                       device_scale_factor=2, is_mobile=True, has_touch=True)
        await phone.goto(shop_url["bot"])
        await phone.wait_for_timeout(500)
        await ask(phone, "我的快递到哪了", 2)
        await ask(phone, "CL2611180001", 3)
        await ask(phone, "5678", 4)
        await phone.screenshot(path=str(OUT / "web-chat-phone.png"))
        shop_page = await browser.new_page(viewport={"width": 1100, "height": 760})
        await shop_page.goto(f"http://shop.test:{shop_port}/demo.html")
        await shop_page.locator("#brandbot-chat .launcher").click()
        frame = shop_page.frame_locator("#brandbot-chat iframe")
        await frame.locator("#text").fill("运费多少？")
        await frame.locator("#text").press("Enter")
        await frame.locator(".line.bot:not(.typing)").nth(1).wait_for()
        await shop_page.wait_for_timeout(500)
        await shop_page.screenshot(path=str(OUT / "embed-on-a-shop-page.png"))
        await browser.close()
    await runner.cleanup()
    await shop_runner.cleanup()
    print(f"screenshots in {OUT}")


if __name__ == "__main__":
    asyncio.run(main())
