"""The console's work over HTTP, end to end on a real store: what each form changes, what
it refuses, and the audit rows it leaves."""

from __future__ import annotations

import io
import json
import re
from typing import Any

from aiohttp import FormData
from aiohttp.test_utils import TestClient

from bot.app import Bot
from bot.kb.csv_format import dump_csv
from tests.console.conftest import Signed, sign_in
from tests.helpers.chat import Chat


def _editor_form(bot: Bot, faq_id: str, **changes: str) -> dict[str, str]:
    from bot.server.console.kb_form import fields_of, fingerprint

    faq = bot.store.kb.get(faq_id)
    return {**fields_of(faq), "original": faq_id, "base": fingerprint(faq), **changes}


async def _post_json(signed: Signed, path: str, data: dict[str, str]) -> tuple[int, Any]:
    answer = await signed.client.post(path, data=data, headers={
        "Accept": "application/json", "X-CSRF-Token": signed.csrf})
    return answer.status, await answer.json()


async def test_the_preview_names_what_a_change_captures_and_takes(
    app_client: TestClient[Any, Any], console_bot: Bot
) -> None:
    await Chat(console_bot, user_id="shopper").say("紫色长颈鹿会不会唱歌")
    editor = await sign_in(app_client, console_bot, "console:editor")
    faq = console_bot.store.kb.get("shipping-time")
    assert faq is not None
    questions = faq.questions["zh-Hans"]
    taken = console_bot.store.kb.get("shipping-fee").questions["zh-Hans"][0]  # type: ignore[union-attr]
    draft = _editor_form(console_bot, "shipping-time", **{
        "questions.zh-Hans": "\n".join([*questions, "紫色长颈鹿会不会唱歌", taken])})
    status, found = await _post_json(editor, "/console/kb/preview", draft)
    assert status == 200
    captured = {move["question"]: move for move in found["captured"]}
    assert captured["紫色长颈鹿会不会唱歌"]["before"] is None
    # The same phrasing in two FAQs: its customers get "did you mean" between them.
    assert [(move["question"], move["before"], move["outcome"]) for move in found["taken"]] == [
        (taken, "shipping-fee", "did you mean")]
    assert found["checked"] > 50
    # Nothing was saved by previewing.
    assert console_bot.store.kb.get("shipping-time") == faq

    status, tested = await _post_json(editor, "/console/kb/test",
                                      {**draft, "question": "紫色长颈鹿会不会唱歌"})
    assert (status, tested["outcome"], tested["faq_id"]) == (200, "answer", "shipping-time")
    assert tested["candidates"][0]["components"]
    status, live = await _post_json(editor, "/console/kb/test",
                                    {"question": "紫色长颈鹿会不会唱歌"})
    assert live["outcome"] == "fallback"


async def test_saving_refuses_bad_data_and_a_change_made_meanwhile(
    app_client: TestClient[Any, Any], console_bot: Bot
) -> None:
    editor = await sign_in(app_client, console_bot, "console:editor")
    form = _editor_form(console_bot, "shipping-time")
    empty = await editor.client.post("/console/kb/save", data={
        **form, "csrf": editor.csrf, "questions.zh-Hans": "", "questions.en": ""})
    assert empty.status == 400
    assert "needs at least one question" in await empty.text()
    await Chat(console_bot, platform="console", user_id="editor").say(
        "/kb answer shipping-time 改过了")
    stale = await editor.client.post("/console/kb/save", data={
        **form, "csrf": editor.csrf, "answer.en": "mine"})
    assert stale.status == 409
    assert "changed by someone else" in await stale.text()
    assert console_bot.store.kb.get("shipping-time").answers["en"] != "mine"  # type: ignore[union-attr]


async def test_a_new_faq_gets_an_id_and_an_audit_row(
    app_client: TestClient[Any, Any], console_bot: Bot
) -> None:
    editor = await sign_in(app_client, console_bot, "console:editor")
    saved = await editor.client.post("/console/kb/save", allow_redirects=False, data={
        "csrf": editor.csrf, "enabled": "on", "questions.en": "Do you ship to Mars?",
        "answer.en": "Not yet.", "buttons": "faq:shipping-fee | 运费 | Fees"})
    assert saved.status == 303
    assert saved.headers["Location"] == "/console/kb/do-you-ship-to-mars/edit"
    faq = console_bot.store.kb.get("do-you-ship-to-mars")
    assert faq is not None and faq.buttons[0].titles == {"zh-Hans": "运费", "en": "Fees"}
    entry = console_bot.store.staff.recent_audit(1)[0]
    assert (entry.action, entry.before, entry.after["id"]) == ("kb.add", None,
                                                               "do-you-ship-to-mars")


async def _upload(signed: Signed, text: str, mode: str) -> tuple[int, Any]:
    form = FormData()
    form.add_field("mode", mode)
    form.add_field("file", io.BytesIO(text.encode("utf-8")), filename="kb.csv",
                   content_type="text/csv")
    answer = await signed.client.post("/console/kb/import", data=form, headers={
        "Accept": "application/json", "X-CSRF-Token": signed.csrf})
    return answer.status, await answer.json()


async def test_a_csv_import_reports_then_imports_all_or_nothing(
    app_client: TestClient[Any, Any], console_bot: Bot
) -> None:
    editor = await sign_in(app_client, console_bot, "console:editor")
    exported = await editor.client.get("/console/kb/export.csv")
    text = (await exported.read()).decode("utf-8-sig")
    assert text == dump_csv(console_bot.store.kb.all(include_disabled=True))
    changed = text + "faq-from-csv,question,en,Can I visit the tea garden?,\n" \
                      "faq-from-csv,answer,en,Yes: book a visit by phone.,\n"
    status, report = await _upload(editor, changed, "check")
    assert (status, report["ok"], report["imported"]) == (200, True, None)
    assert report["summary"].startswith("1 new, 0 changed")
    assert console_bot.store.kb.get("faq-from-csv") is None
    broken = changed + "faq-from-csv,answer,fr,Oui,\n"
    status, report = await _upload(editor, broken, "apply")
    assert status == 400 and any("language 'fr'" in line for line in report["errors"])
    assert console_bot.store.kb.get("faq-from-csv") is None
    status, report = await _upload(editor, changed, "apply")
    assert (status, report["imported"]) == (200, 1)
    assert console_bot.store.kb.get("faq-from-csv") is not None
    assert console_bot.store.staff.recent_audit(1)[0].action == "kb.import"


async def test_points_follow_the_chat_confirm_rules(
    app_client: TestClient[Any, Any], console_bot: Bot
) -> None:
    await Chat(console_bot, user_id="fan").say("签到")
    customer = console_bot.store.customers.find("web", "fan")
    assert customer is not None
    admin = await sign_in(app_client, console_bot, "console:admin")
    path = f"/console/customers/{customer.id}"
    page = await (await admin.client.get(path)).text()
    nonce = re.search(r'name="nonce" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    start = console_bot.store.loyalty.balance(customer.id, console_bot.clock.now())
    form = {"csrf": admin.csrf, "nonce": nonce, "action": "grant", "points": "100",
            "reason": "sorry for the delay"}
    for _ in range(2):  # a form sent twice pays once
        await admin.client.post(f"{path}/points", data=form)
    now = console_bot.clock.now()
    assert console_bot.store.loyalty.balance(customer.id, now) == start + 100
    big = await admin.client.post(f"{path}/points", data={**form, "nonce": "n2",
                                                          "points": "600"})
    assert "Dry run" in await big.text()
    assert console_bot.store.loyalty.balance(customer.id, now) == start + 100
    code = re.search(r'name="code" value="([^"]+)"', await big.text()).group(1)  # type: ignore[union-attr]
    await admin.client.post(f"{path}/confirm", data={"csrf": admin.csrf, "code": code})
    assert console_bot.store.loyalty.balance(customer.id, now) == start + 700
    again = await admin.client.post(f"{path}/confirm", data={"csrf": admin.csrf, "code": code})
    assert "wrong, used or expired" in await again.text()
    too_many = await admin.client.post(f"{path}/points", data={
        **form, "nonce": "n3", "action": "deduct", "points": str(start + 701)})
    assert "fewer points" in await too_many.text()
    actions = [entry.action for entry in console_bot.store.staff.recent_audit(5)]
    assert actions.count("grant") == 2


async def test_a_broadcast_runs_dry_then_sends_to_who_is_reachable(
    app_client: TestClient[Any, Any], console_bot: Bot
) -> None:
    await Chat(console_bot, user_id="subscriber").say("订阅")
    await Chat(console_bot, user_id="quiet").say("你好")
    admin = await sign_in(app_client, console_bot, "console:admin")
    plan = await admin.client.post("/console/broadcasts/plan", data={
        "csrf": admin.csrf, "segment": "all", "text": "新茶上市"})
    page = await plan.text()
    assert re.search(r'id="recipients">1<', page)
    assert re.search(r'data-platform="web"><td>web</td><td class="num">1<', page)
    assert console_bot.store.broadcasts.latest_id() is None  # nothing sent yet
    code = re.search(r'name="code" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    sent = await admin.client.post("/console/broadcasts/send", allow_redirects=False,
                                   data={"csrf": admin.csrf, "code": code})
    assert sent.status == 303
    status = await admin.client.get(sent.headers["Location"],
                                    headers={"Accept": "application/json"})
    progress = await status.json()
    assert (progress["queued"], progress["skipped"]) == (1, 0)
    assert sum(progress["outbox"].values()) == 1
    subscriber = console_bot.store.customers.find("web", "subscriber")
    assert subscriber is not None
    assert console_bot.store.conversations.recent(subscriber.id)[-1].text == "新茶上市"
    assert console_bot.store.staff.recent_audit(1)[0].action == "broadcast"


async def test_customers_are_found_by_name_platform_id_and_order(
    app_client: TestClient[Any, Any], console_bot: Bot
) -> None:
    await Chat(console_bot, platform="telegram", user_id="4242").send(
        Chat(console_bot, platform="telegram", user_id="4242").message(
            "你好", display_name="Mei Lin"))
    customer = console_bot.store.customers.find("telegram", "4242")
    assert customer is not None
    console_bot.store.orders.access.grant(customer.id, "CL2611180001", "test",
                                          console_bot.clock.now())
    agent = await sign_in(app_client, console_bot, "console:agent")
    for query in ("mei", "telegram:4242", "4242", "cl2611180001", customer.id):
        found = await (await agent.client.get("/console/customers", params={"q": query})).text()
        assert f"/console/customers/{customer.id}" in found, query
    page = await (await agent.client.get(f"/console/customers/{customer.id}")).text()
    assert "CL2611180001" in page and "telegram:4242" in page
    assert 'id="points-form"' not in page  # agents see points, only admins change them


async def test_canned_replies_and_the_audit_filter(
    app_client: TestClient[Any, Any], console_bot: Bot
) -> None:
    editor = await sign_in(app_client, console_bot, "console:editor")
    await editor.client.post("/console/canned", data={
        "csrf": editor.csrf, "title": "greeting", "text": "您好，我是云叶茶舍的客服。"})
    [saved] = console_bot.store.canned.all()
    assert saved.text == "您好，我是云叶茶舍的客服。"
    admin = await sign_in(app_client, console_bot, "console:admin")
    logged = await (await admin.client.get("/console/audit", params={"action": "canned."})).text()
    assert 'data-action="canned.save"' in logged
    assert 'data-action="console.signin"' not in logged
    everything = await (await admin.client.get("/console/audit")).text()
    assert 'data-action="console.signin"' in everything


async def test_the_chinese_ui(app_client: TestClient[Any, Any], console_bot: Bot) -> None:
    agent = await sign_in(app_client, console_bot, "console:agent")
    page = await (await agent.client.get("/console/inbox",
                                         headers={"Accept-Language": "zh-CN,zh"})).text()
    assert "人工会话" in page and "退出" in page
    switched = await agent.client.get("/console/language", params={
        "to": "en", "next": "/console/inbox"})
    assert "Inbox" in await switched.text()


def test_every_word_of_the_pages_is_in_both_languages() -> None:
    from pathlib import Path

    from bot.server.console.i18n import TEXTS

    folder = Path(__file__).resolve().parents[2] / "bot/server/console/templates"
    used = {key for path in folder.glob("*.html")
            for key in re.findall(r"""\bt\(["']([a-z_]+)["']""", path.read_text("utf-8"))}
    prefixes = {key for key in used if key.endswith("_")}
    assert used and not used - prefixes - set(TEXTS)
    assert all(any(text.startswith(prefix) for text in TEXTS) for prefix in prefixes)
    assert all(english and chinese for english, chinese in TEXTS.values())
    assert json.dumps(TEXTS, ensure_ascii=False)


async def test_an_admin_blocks_and_unblocks_a_customer(
    app_client: TestClient[Any, Any], console_bot: Bot
) -> None:
    chat = Chat(console_bot, user_id="rude")
    await chat.say("你好")
    customer = console_bot.store.customers.find("web", "rude")
    assert customer is not None
    admin = await sign_in(app_client, console_bot, "console:admin")
    path = f"/console/customers/{customer.id}/block"
    await admin.client.post(path, data={"csrf": admin.csrf, "blocked": "on"})
    assert await chat.say("多久发货") == []
    page = await (await admin.client.get(f"/console/customers/{customer.id}")).text()
    assert "Answer again (unblock)" in page
    await admin.client.post(path, data={"csrf": admin.csrf, "blocked": ""})
    assert "16:00" in (await chat.say("多久发货"))[0].text
    actions = [entry.action for entry in console_bot.store.staff.recent_audit(2)]
    assert actions == ["unblock", "block"]


async def test_the_inbox_warns_when_a_reply_cannot_reach_the_customer(
    app_client: TestClient[Any, Any], console_bot: Bot
) -> None:
    """Telegram is not running here, so nothing can reach a Telegram customer now."""
    await Chat(console_bot, platform="telegram", user_id="77").say("人工")
    await Chat(console_bot, platform="web", user_id="w1").say("人工")
    far, near = console_bot.store.handoffs.waiting()
    agent = await sign_in(app_client, console_bot, "console:agent")
    for handoff, warned in ((far, True), (near, False)):
        await agent.client.post(f"/console/inbox/{handoff.id}/take", data={"csrf": agent.csrf})
        page = await (await agent.client.get(f"/console/inbox/{handoff.id}")).text()
        assert ('id="window-closed"' in page) is warned
        assert 'id="reply-form"' in page


async def test_the_faq_list_searches_and_filters(
    app_client: TestClient[Any, Any], console_bot: Bot
) -> None:
    editor = await sign_in(app_client, console_bot, "console:editor")
    found = await (await editor.client.get("/console/kb", params={"q": "發貨"})).text()
    assert "/console/kb/shipping-time/edit" in found  # traditional Chinese finds it too
    assert "/console/kb/brew-puer/edit" not in found
    tagged = await (await editor.client.get("/console/kb", params={"tag": "shipping"})).text()
    assert "/console/kb/shipping-time/edit" in tagged
    assert "/console/kb/brew-puer/edit" not in tagged
    await Chat(console_bot, platform="console", user_id="editor").say("/kb off brew-puer")
    off = await (await editor.client.get("/console/kb", params={"show": "off"})).text()
    assert "/console/kb/brew-puer/edit" in off and "/console/kb/shipping-time/edit" not in off
