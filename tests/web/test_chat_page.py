"""The web chat in Debian's chromium on a live server, on a phone (390×844) and a desktop."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path
from typing import Any

from PIL import Image
from playwright.async_api import Browser, Page, Route, expect

from tests.helpers.chat import Chat
from tests.web.conftest import Live, new_page, shot

QUESTIONS = ("多久发货", "运费多少", "可以退货吗？", "怎么泡龙井", "积分怎么用")


async def ask(page: Page, text: str) -> None:
    """Type a question, send it with Enter and wait for the bot's answer."""
    answers = await page.locator(".line.bot").count()
    await page.fill("#text", text)
    await page.press("#text", "Enter")
    await page.locator(".line.bot").nth(answers).wait_for()
    await expect(page.locator("#send")).to_be_enabled()


async def in_view(page: Page, selector: str) -> bool:
    """Whether the element is fully visible: inside the log's box and above the input bar."""
    return bool(
        await page.evaluate(
            """(selector) => {
                const element = document.querySelectorAll(selector);
                const last = element[element.length - 1].getBoundingClientRect();
                const log = document.querySelector('#log').getBoundingClientRect();
                const form = document.querySelector('#form').getBoundingClientRect();
                return last.top >= log.top - 1 && last.bottom <= log.bottom + 1
                    && last.bottom <= form.top + 1 && last.bottom <= innerHeight;
            }""",
            selector,
        )
    )


async def test_the_newest_bubble_and_its_buttons_stay_above_the_input(
    live: Live, browser: Browser, device: dict[str, Any], tmp_path: Path
) -> None:
    context, page = await new_page(browser, device)
    await page.goto(live.url)
    assert "Cloud Leaf Tea" in await page.title()
    # An empty chat greets and suggests questions.
    await page.locator(".greeting").wait_for()
    assert await page.locator(".suggestions button").count() >= 3
    for question in QUESTIONS:
        await ask(page, question)
        assert await in_view(page, ".line.bot")
        if await page.locator(".line.bot").last.locator(".buttons button").count():
            assert await in_view(page, ".line.bot .buttons button")
    await page.screenshot(path=shot(tmp_path, "long-conversation"))
    assert await page.locator(".suggestions").count() == 0  # they were for an empty chat
    # A pressed button answers; it and every older one can no longer be pressed.
    buttons = page.locator(".buttons button:not([disabled])")
    live_before = await buttons.count()
    assert live_before >= 1
    pressed = buttons.first
    title = await pressed.inner_text()
    await pressed.click()
    await expect(page.locator("#send")).to_be_enabled()
    assert await page.locator(".line.me .bubble").last.inner_text() == title
    assert await page.locator(".buttons button[aria-pressed=true]").count() == 1
    older = page.locator(".line.bot").nth(-2).locator(".buttons button")
    assert all([await older.nth(i).is_disabled() for i in range(await older.count())])
    await page.screenshot(path=shot(tmp_path, "pressed"))
    await context.close()


async def test_the_conversation_is_back_after_a_reload(
    live: Live, browser: Browser, device: dict[str, Any], tmp_path: Path
) -> None:
    context, page = await new_page(browser, device)
    await page.goto(live.url)
    await ask(page, "多久发货")
    await ask(page, "运费多少")
    before = await page.locator(".line .bubble").all_inner_texts()
    await page.reload()
    await page.locator(".line.me").nth(1).wait_for()
    after = await page.locator(".line .bubble").all_inner_texts()
    assert after == before[1:]  # the greeting was the widget's own, not part of the log
    assert await page.locator(".greeting").count() == 0
    # Only the newest answer's buttons still work; a restored last line is in view.
    newest = page.locator(".line.bot").last.locator(".buttons button")
    assert await newest.count() and not await newest.first.is_disabled()
    first = page.locator(".line.bot").first.locator(".buttons button")
    assert await first.first.is_disabled()
    assert await in_view(page, ".line.bot")
    await page.screenshot(path=shot(tmp_path, "restored"))
    await context.close()


async def test_two_browsers_never_see_each_other_and_a_forged_user_id_gets_nothing(
    live: Live, browser: Browser
) -> None:
    alice_context, alice = await new_page(browser, {})
    bob_context, bob = await new_page(browser, {})
    await alice.goto(live.url)
    await bob.goto(live.url)
    await ask(alice, "CL2611190002")
    await ask(alice, "4321")  # her order's details are now in her conversation
    await ask(bob, "多久发货")
    await alice.reload()
    await bob.reload()
    await bob.locator(".line.me").first.wait_for()
    await alice.locator(".line.me").nth(1).wait_for()
    assert "CL2611190002" not in await bob.locator("#log").inner_text()
    assert "多久发货" not in await alice.locator("#log").inner_text()
    store = live.bot.store
    owner = store.db.scalar("SELECT customer_id FROM conversation_log WHERE text = 'CL2611190002'")
    alice_id = store.customers.get(owner).identities[0].user_id  # type: ignore[union-attr]
    # Bob's browser asks for Alice's transcript and writes as her: both refused.
    forged = await bob.evaluate(
        """async (victim) => {
            const read = await fetch(`/api/chat/history?user_id=${victim}`);
            const write = await fetch('/api/chat', {method: 'POST',
                headers: {'Content-Type': 'application/json'},
                body: JSON.stringify({user_id: victim, text: 'hi', message_id: 'forged-1'})});
            return [read.status, await read.text(), write.status];
        }""",
        alice_id,
    )
    assert forged[0] == 403 and "CL2611190002" not in forged[1] and forged[2] == 403
    await alice_context.close()
    await bob_context.close()


async def test_plain_http_away_from_localhost_works(
    live: Live, browser: Browser, tmp_path: Path
) -> None:
    context, page = await new_page(browser, {})
    await page.goto(f"http://chat.test:{live.port}/")
    assert await page.evaluate("window.isSecureContext") is False
    assert await page.evaluate("typeof crypto.randomUUID") == "undefined"
    await ask(page, "多久发货")
    assert "16:00" in await page.locator(".line.bot").last.inner_text()
    await page.reload()
    await page.locator(".line.me").first.wait_for()  # the cookie is not Secure: it came back
    await page.screenshot(path=shot(tmp_path, "plain-http"))
    await context.close()


async def test_waiting_shows_typing_and_a_failed_send_can_be_retried_once(
    live: Live, browser: Browser, tmp_path: Path
) -> None:
    context, page = await new_page(browser, {})
    await page.goto(live.url)
    await page.locator(".greeting").wait_for()
    release = asyncio.Event()

    async def held(route: Route) -> None:
        await release.wait()
        await route.abort("connectionreset")

    await page.route("**/api/chat", held)
    await page.fill("#text", "多久发货")
    await page.press("#text", "Enter")
    await page.locator(".typing").wait_for()
    assert await page.locator("#send").is_disabled()
    release.set()
    retry = page.locator(".error button")
    await retry.wait_for()
    assert await in_view(page, ".error")
    await page.screenshot(path=shot(tmp_path, "failed"))
    await page.unroute("**/api/chat")
    await retry.click()
    await page.locator(".line.bot").nth(1).wait_for()
    assert await page.locator(".error").count() == 0
    assert live.bot.store.deliveries.count() == 1  # the retry reused the message id
    await context.close()


async def test_a_photo_is_sent_shown_and_restored(
    live: Live, browser: Browser, device: dict[str, Any], tmp_path: Path
) -> None:
    context, page = await new_page(browser, device)
    await page.goto(live.url)
    await page.locator(".greeting").wait_for()
    image = Image.new("RGB", (600, 400), (61, 122, 79))
    out = io.BytesIO()
    image.save(out, "JPEG")
    path = tmp_path / "parcel.jpg"
    path.write_bytes(out.getvalue())
    await page.set_input_files("#photo", str(path))
    await page.locator(".line.bot").nth(1).wait_for()
    assert await page.locator(".line.me img").count() == 1
    assert live.bot.store.db.scalar("SELECT count(*) FROM web_uploads") == 1
    await page.reload()
    restored = page.locator(".line.me img")
    await restored.wait_for()
    assert "/api/chat/uploads/" in (await restored.get_attribute("src") or "")
    assert await page.evaluate("document.querySelector('.line.me img').naturalWidth") == 600
    await page.screenshot(path=shot(tmp_path, "photo"))
    await context.close()


async def test_keyboard_only(live: Live, browser: Browser, tmp_path: Path) -> None:
    context, page = await new_page(browser, {})
    await page.goto(live.url)
    await page.locator(".greeting").wait_for()
    assert await page.evaluate("document.activeElement.id") == "text"
    await page.keyboard.type("多久发货")
    await page.keyboard.press("Enter")
    await page.locator(".line.bot").nth(1).wait_for()
    await expect(page.locator("#send")).to_be_enabled()
    # Back from the input to the answer's buttons, then press one with the keyboard.
    for _ in range(12):
        await page.keyboard.press("Shift+Tab")
        if await page.evaluate("!!document.activeElement.closest('.buttons')"):
            break
    focused = await page.evaluate("document.activeElement.textContent")
    assert focused
    await page.screenshot(path=shot(tmp_path, "keyboard-focus"))
    await page.keyboard.press("Enter")
    await page.locator(".line.me").nth(1).wait_for()
    assert await page.locator(".line.me .bubble").nth(1).inner_text() == focused
    # The language switch is a button too.
    await expect(page.locator("#send")).to_be_enabled()
    await page.focus("#language")
    await page.keyboard.press("Space")
    assert await page.evaluate("document.documentElement.lang") == "en"
    assert await page.get_attribute("#text", "placeholder") == "Type your question…"
    await context.close()


async def test_the_language_switch_changes_the_greeting_and_stays(
    live: Live, browser: Browser, tmp_path: Path
) -> None:
    context, page = await new_page(browser, {})
    await page.goto(live.url)
    await page.locator(".greeting").wait_for()
    await page.click("#language")
    assert "help desk" in await page.locator(".greeting").inner_text()
    assert await page.locator("#send").inner_text() == "Send"
    await page.reload()
    await page.locator(".greeting").wait_for()
    assert "help desk" in await page.locator(".greeting").inner_text()
    await page.screenshot(path=shot(tmp_path, "english"))
    await context.close()


async def test_a_staff_reply_arrives_within_a_second(
    live: Live, browser: Browser, tmp_path: Path
) -> None:
    context, page = await new_page(browser, {"viewport": {"width": 390, "height": 844}})
    await page.goto(live.url)
    await ask(page, "人工")
    bot = live.bot
    [row] = list(bot.store.db.query("SELECT customer_id, user_id FROM handoffs"))
    agent = Chat(bot, platform="console", user_id="agent")
    await agent.say(f"/take {1}")
    await page.locator(".line.staff").first.wait_for()  # "a person has joined", live
    # The page listens on its stream (not a 5-second poll) before the agent answers.
    for _ in range(100):
        if bot.events.listeners(row["customer_id"]):
            break
        await asyncio.sleep(0.02)
    assert bot.events.listeners(row["customer_id"]) == 1
    await agent.say("您好，我是小王，请问有什么可以帮您？")
    answer = page.locator(".line.staff", has_text="我是小王")
    await answer.wait_for(timeout=1000)
    await page.screenshot(path=shot(tmp_path, "staff-reply"))
    await context.close()


async def test_too_many_at_once_is_waited_out_and_sent_again(
    live: Live, browser: Browser
) -> None:
    context, page = await new_page(browser, {})
    await page.goto(live.url)
    await page.locator(".greeting").wait_for()
    refused: list[str] = []

    async def once_too_many(route: Route) -> None:
        if not refused:
            refused.append(route.request.post_data or "")
            await route.fulfill(
                status=429, headers={"Retry-After": "1"}, content_type="application/json",
                body='{"error": "too many messages at once", "retry_after": 1}',
            )
        else:
            await route.continue_()

    await page.route("**/api/chat", once_too_many)
    await ask(page, "多久发货")
    assert refused and await page.locator(".error").count() == 0
    assert "16:00" in await page.locator(".line.bot").last.inner_text()
    assert live.bot.store.deliveries.count() == 1
    await context.close()
