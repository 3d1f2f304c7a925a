"""The console in a real browser (Debian chromium, Playwright) on a live server: staff do
their daily work and customers in the web chat see the result."""

from __future__ import annotations

from datetime import timedelta

from playwright.async_api import Browser, Page

from bot.app import Bot
from bot.core.clock import FixedClock
from tests.console.conftest import link_for, signed_in_page

SLOW = 15_000  # the web chat polls for messages sent later every 5 s


# The bot's answers in the web chat widget (not its greeting, not its typing indicator).
BOT_BUBBLE = ".line.bot:not(.greeting):not(.typing) .bubble"


async def _customer(browser: Browser, base: str) -> Page:
    page = await (await browser.new_context()).new_page()
    page.set_default_timeout(SLOW)
    await page.goto(f"{base}/")
    return page


async def _ask(page: Page, text: str) -> str:
    """Type a question in the web chat; the text of the bot's answer to it."""
    before = await page.locator(BOT_BUBBLE).count()
    await page.fill("#text", text)
    await page.press("#text", "Enter")
    answer = page.locator(BOT_BUBBLE).nth(before)
    await answer.wait_for()
    return await answer.inner_text()


async def test_sign_in_by_link_and_a_used_or_expired_link_is_refused(
    browser: Browser, live_server: tuple[str, Bot], clock: FixedClock
) -> None:
    base, bot = live_server
    link = link_for(base, bot, "console:editor")
    page = await (await browser.new_context()).new_page()
    await page.goto(link)
    await page.click("#signin")
    await page.wait_for_url(f"{base}/console/inbox")
    assert "console:editor" in await page.inner_text("header")
    assert await page.locator("nav a[data-nav=kb]").count() == 1
    assert await page.locator("nav a[data-nav=stats]").count() == 0  # editors see no stats

    used = await (await browser.new_context()).new_page()
    await used.goto(link)
    await used.click("#signin")
    assert "used already" in await used.inner_text("#refusal")
    assert (await used.goto(f"{base}/console/inbox")).url.startswith(  # type: ignore[union-attr]
        f"{base}/console/welcome")

    late = link_for(base, bot, "console:editor")
    clock.advance(minutes=11)
    expired = await (await browser.new_context()).new_page()
    await expired.goto(late)
    await expired.click("#signin")
    assert "expired" in await expired.inner_text("#refusal")

    # Signing out ends the session on the server too.
    await page.click("header button.link")
    await page.wait_for_url(f"{base}/console/welcome")
    await page.goto(f"{base}/console/inbox")
    assert page.url.startswith(f"{base}/console/welcome")


async def test_an_edited_faq_changes_the_web_chat_answer(
    browser: Browser, live_server: tuple[str, Bot]
) -> None:
    base, bot = live_server
    customer = await _customer(browser, base)
    assert "16:00" in await _ask(customer, "多久发货")

    editor = await signed_in_page(browser, base, bot, "console:editor")
    await editor.goto(f"{base}/console/kb?q=发货")
    await editor.click("text=shipping-time")
    await editor.wait_for_url(f"{base}/console/kb/shipping-time/edit")
    # The test pane shows the decision as the question is typed, before anything is saved;
    # and follows the draft: a new phrasing is matched at once.
    await editor.fill("#test-question", "多久发货")
    assert "shipping-time" in await editor.inner_text("#decision")
    await editor.fill("#test-question", "紫色长颈鹿会不会唱歌")
    await editor.locator("#decision", has_text="fall back").wait_for()
    phrasings = editor.locator("textarea[name='questions.zh-Hans']")
    await phrasings.fill(await phrasings.input_value() + "\n紫色长颈鹿会不会唱歌")
    await editor.locator("#decision", has_text="answer with shipping-time").wait_for()
    await phrasings.fill((await phrasings.input_value()).removesuffix("\n紫色长颈鹿会不会唱歌"))
    answer = editor.locator("textarea[name='answer.zh-Hans']")
    await answer.fill("今天下单，云叶茶舍 48 小时内从杭州发出。")
    await editor.click("#save")
    await editor.wait_for_selector(".note.ok")

    assert "48 小时内从杭州发出" in await _ask(customer, "多久发货")
    [revision, *_] = reversed(bot.store.kb.revisions("shipping-time"))
    assert revision.who == "console:editor"
    audit = bot.store.staff.recent_audit(1)[0]
    assert (audit.action, audit.staff, audit.target) == ("kb.edit", "console:editor",
                                                         "shipping-time")
    # The history shows the change and undoes it.
    await editor.goto(f"{base}/console/kb/shipping-time/history")
    assert "48 小时内从杭州发出" in await editor.inner_text("ol.revisions li:first-child ins")
    await editor.click("text=Undo my latest change")
    await editor.wait_for_selector(".note.ok")
    assert "16:00" in await _ask(customer, "多久发货")


async def test_a_review_item_is_attached_and_then_answered(
    browser: Browser, live_server: tuple[str, Bot]
) -> None:
    base, bot = live_server
    customer = await _customer(browser, base)
    question = "紫色长颈鹿会不会唱歌"
    assert "16:00" not in await _ask(customer, question)
    editor = await signed_in_page(browser, base, bot, "console:editor")
    await editor.goto(f"{base}/console/review")
    group = editor.locator(".review-group", has_text=question)
    await group.locator("input[name=faq]").fill("shipping-time")
    await group.locator("button.attach").click()
    await editor.wait_for_selector(".note.ok")
    assert await editor.locator(".review-group", has_text=question).count() == 0
    assert "16:00" in await _ask(customer, question)
    assert bot.store.staff.recent_audit(1)[0].action == "kb.attach"


async def test_an_agent_takes_a_handoff_and_the_web_chat_gets_the_reply(
    browser: Browser, live_server: tuple[str, Bot]
) -> None:
    base, bot = live_server
    agent = await signed_in_page(browser, base, bot, "console:agent")
    await agent.goto(f"{base}/console/inbox")
    assert "Nobody is waiting" in await agent.inner_text("#queue")

    customer = await _customer(browser, base)
    await _ask(customer, "人工")
    # The request appears in the open inbox without a reload.
    await agent.locator("#queue a.handoff.queued").wait_for()
    await agent.click("#queue a.handoff")
    await agent.click("#take")
    await agent.wait_for_selector("#reply-text")
    joined = customer.locator(BOT_BUBBLE).nth(1)
    await joined.wait_for(timeout=SLOW)

    await agent.fill("#reply-text", "您好，我是小叶，您的包裹明天到。")
    await agent.click("#send")
    await agent.wait_for_selector(".note.ok")
    reply = customer.locator(BOT_BUBBLE, has_text="您的包裹明天到")
    await reply.wait_for(timeout=SLOW)
    # The customer's answer reaches the agent's open conversation live.
    await customer.fill("#text", "谢谢！")
    await customer.press("#text", "Enter")
    await agent.locator("#transcript .line.in", has_text="谢谢！").wait_for()

    await agent.click("#release")
    await agent.wait_for_url(f"{base}/console/inbox")
    [handoff] = bot.store.directory.recently_closed(1)
    assert handoff.close_reason == "released"
    actions = [entry.action for entry in bot.store.staff.recent_audit(5)]
    assert "handoff.take" in actions and "handoff.release" in actions


async def test_an_agent_cannot_edit_the_knowledge_base(
    browser: Browser, live_server: tuple[str, Bot]
) -> None:
    base, bot = live_server
    agent = await signed_in_page(browser, base, bot, "console:agent")
    assert await agent.locator("nav a[data-nav=kb]").count() == 0
    answer = await agent.goto(f"{base}/console/kb/shipping-time/edit")
    assert answer is not None and answer.status == 403
    assert "needs editor" in await agent.inner_text("#refusal")
    # Even a hand-made request with the agent's own CSRF token is refused by the server.
    status = await agent.evaluate("""async () => {
        const body = new FormData();
        body.set("csrf", document.querySelector('meta[name="csrf"]').content);
        body.set("original", "shipping-time");
        body.set("answer.zh-Hans", "hacked");
        const response = await fetch("/console/kb/save", {method: "POST", body});
        return response.status;
    }""")
    assert status == 403
    assert "hacked" not in str(bot.store.kb.get("shipping-time"))


async def test_a_post_without_its_csrf_token_is_refused(
    browser: Browser, live_server: tuple[str, Bot]
) -> None:
    base, bot = live_server
    editor = await signed_in_page(browser, base, bot, "console:editor")
    await editor.goto(f"{base}/console/kb/shipping-time/edit")
    await editor.fill("textarea[name='answer.zh-Hans']", "no token")
    await editor.evaluate("document.querySelector('#faq-form input[name=csrf]').remove()")
    await editor.click("#save")
    assert "did not come from your open console page" in await editor.inner_text("#refusal")
    assert "no token" not in str(bot.store.kb.get("shipping-time"))


async def test_the_stats_page_draws_its_charts_from_seeded_data(
    browser: Browser, live_server: tuple[str, Bot], clock: FixedClock
) -> None:
    base, bot = live_server
    store, now = bot.store, clock.now()
    yesterday = now - timedelta(days=1)
    for moment, platform, count in ((yesterday, "telegram", 3), (now, "telegram", 2),
                                    (now, "wechat", 4)):
        for number in range(count):
            store.conversations.append(customer_id=f"c{number}", platform=platform,
                                       chat_id="x", direction="in", kind="text",
                                       text=f"问题 {number}", now=moment)
    for route in ("faq", "faq", "fallback"):
        store.conversations.append(customer_id="c0", platform="wechat", chat_id="x",
                                   direction="out", kind="text", text="answer", route=route,
                                   now=now)
    handoff, _ = store.handoffs.request(customer_id="c0", platform="wechat", chat_id="x",
                                        user_id="x", now=now)
    store.handoffs.claim(handoff.id, "console:agent", now + timedelta(minutes=4))
    store.handoffs.close(handoff.id, "released", now)
    store.handoffs.rate(handoff.id, 4, now)

    admin = await signed_in_page(browser, base, bot, "console:admin", viewport={
        "width": 390, "height": 844})  # a phone
    await admin.goto(f"{base}/console/stats")
    today = now.astimezone(bot.config.bot.zone).date().isoformat()
    bars = admin.locator("svg[data-chart=messages] rect.bar")
    values = {(await bar.get_attribute("data-label"), await bar.get_attribute("data-series")):
              await bar.get_attribute("data-value") for bar in await bars.all()}
    earlier = (now - timedelta(days=1)).astimezone(bot.config.bot.zone).date().isoformat()
    assert values == {(earlier, "telegram"): "3", (today, "telegram"): "2",
                      (today, "wechat"): "4"}
    assert await admin.locator("svg[data-chart=outcomes] rect.bar").count() == 2
    assert await admin.locator("svg[data-chart=ratings] rect.bar").count() == 1
    assert await admin.inner_text("#rate-answered") == "67%"
    assert await admin.inner_text("#csat") == "4.0"
    assert "4 min" in await admin.inner_text(".numbers")
    await admin.screenshot(path=str(bot.config.resolve(bot.config.store.path)) + ".stats.png",
                           full_page=True)
    async with admin.expect_download() as download:
        await admin.click("#stats-csv")
    lines = (await (await download.value).path()).read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].startswith("date,messages_telegram,messages_wechat,replies,answered")
    assert lines[-1].startswith(f"{today},2,4,3,2,0,1,1,1,240")
