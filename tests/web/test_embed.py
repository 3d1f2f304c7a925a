"""The embed snippet on a brand's page of another site: launcher, panel, refusal elsewhere."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.async_api import Browser, expect

from tests.web.conftest import Live, new_page, shot


async def test_the_snippet_gives_a_page_of_another_site_a_working_chat(
    live: Live, browser: Browser, device: dict[str, Any], tmp_path: Path
) -> None:
    context, page = await new_page(browser, device)
    await page.goto(f"{live.shop}/demo.html")
    launcher = page.locator("#brandbot-chat .launcher")  # inside the snippet's shadow root
    await launcher.wait_for()
    assert await launcher.get_attribute("aria-expanded") == "false"
    box = await launcher.bounding_box()
    viewport = device["viewport"]
    assert box is not None and box["x"] + box["width"] > viewport["width"] - 100  # right side
    assert box["y"] + box["height"] > viewport["height"] - 100  # at the bottom
    await page.screenshot(path=shot(tmp_path, "shop-closed"))
    await launcher.click()
    chat = page.frame_locator("#brandbot-chat iframe")
    await chat.locator(".greeting").wait_for()
    await chat.locator("#text").fill("多久发货")
    await chat.locator("#text").press("Enter")
    await chat.locator(".line.bot").nth(1).wait_for()
    assert "16:00" in await chat.locator(".line.bot").nth(1).inner_text()
    # Another site's frame gets no first-party cookie: its session is a bearer token.
    [mode] = [row["mode"] for row in live.bot.store.db.query("SELECT mode FROM web_sessions")]
    assert mode == "token"
    # The snippet's colour reached the frame's header.
    header = await chat.locator("header").evaluate("e => getComputedStyle(e).backgroundColor")
    assert header == "rgb(36, 69, 47)"  # data-color="#24452f" on the demo page
    await page.screenshot(path=shot(tmp_path, "shop-open"))
    # Escape closes the panel and gives the focus back to the launcher.
    await chat.locator("#text").press("Escape")
    await expect(page.locator("#brandbot-chat .panel")).to_be_hidden()
    assert await launcher.get_attribute("aria-expanded") == "false"
    assert await page.evaluate(
        "document.querySelector('#brandbot-chat').shadowRoot.activeElement.className"
    ) == "launcher"
    # Reopened after a reload of the shop page, the conversation is still there.
    await page.reload()
    await page.locator("#brandbot-chat .launcher").click()

    await chat.locator(".line.me").first.wait_for()
    assert await chat.locator(".line.me .bubble").first.inner_text() == "多久发货"
    await context.close()


async def test_a_site_not_allowed_gets_no_chat(live: Live, browser: Browser) -> None:
    context, page = await new_page(browser, {})
    warnings: list[str] = []
    page.on("console", lambda message: warnings.append(message.text))
    await page.goto(f"{live.stranger}/demo.html")
    await page.wait_for_load_state("networkidle")
    assert await page.locator("#brandbot-chat").count() == 0
    assert any("may not embed this chat" in warning for warning in warnings)
    # Framing the chat by hand, even claiming to be the shop, is refused by the browser.
    before = live.bot.store.db.scalar("SELECT count(*) FROM web_sessions")
    await page.evaluate(
        """([url, shop]) => new Promise((done) => {
            const frame = document.createElement('iframe');
            frame.src = `${url}?embed=1&parent=${encodeURIComponent(shop)}`;
            frame.onload = done;
            document.body.appendChild(frame);
            setTimeout(done, 3000);
        })""",
        [live.url, live.shop],
    )
    framed = page.frames[-1]
    assert await framed.locator("#text").count() == 0
    assert live.bot.store.db.scalar("SELECT count(*) FROM web_sessions") == before
    # And its scripts cannot write to the chat API with a token of their own.
    status = await page.evaluate(
        """async (url) => {
            try {
                const response = await fetch(`${url}api/chat/session`, {method: 'POST',
                    headers: {'Content-Type': 'application/json'}, body: '{"mode": "token"}'});
                return response.status;
            } catch (error) { return 'blocked'; }
        }""",
        live.url,
    )
    assert status == "blocked"
    assert live.bot.store.db.scalar("SELECT count(*) FROM web_sessions") == before
    await context.close()
