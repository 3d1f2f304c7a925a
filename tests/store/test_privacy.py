"""A person's export and erasure across two linked identities, through `brandbot customer`.

The person talks on the web chat and in the shell, links the two, checks in, is granted
points by an admin, looks up an order with a second factor, asks for a person and asks
something the bot cannot answer; someone else uses the bot meanwhile.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pytest

from bot.app import Bot
from bot.config import Config
from bot.core.clock import utc_now
from bot.store import Store
from bot.store.privacy.erase import POLICY
from bot.store.privacy.person import customer_tables
from tests.helpers.backends import store_environment
from tests.helpers.chat import Chat
from tests.helpers.paths import ROOT

WEB_ID = "v-sentinel-visitor-AAAA"
SHELL_ID = "sentinel-shell-user-B"
NAME = "Mei Sentinel"
UNANSWERED = "qwzx plomf sentinel question"


@pytest.fixture
def config(make_config: Callable[..., Config]) -> Config:
    """The sample brand with an admin in the shell (the `bot` fixture uses this)."""
    return make_config(staff={"members": {"console:admin": "admin"}})


def brandbot(bot: Bot, *args: str) -> subprocess.CompletedProcess[str]:
    # subprocess.run blocks this test's event loop, which would commit the bot's group of
    # writes on its next turn (a serving bot's loop never waits for the command line).
    bot.store.db.flush()
    env = {**os.environ, **store_environment(bot.store)}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args, "--config", str(ROOT / "config.toml")],
        capture_output=True, text=True, env=env, timeout=60, check=False,
    )


async def converse(bot: Bot) -> tuple[Chat, Chat, Chat]:
    """The person's two identities, linked, with a history; and another customer."""
    web, shell = Chat(bot, "web", WEB_ID), Chat(bot, "console", SHELL_ID)
    await web.send(web.message("你好", display_name=NAME))
    await shell.say("签到")  # points come from an app identity (web-only customers earn none)
    [issued] = await web.say("绑定")
    code = re.search(r"\b(\d{6})\b", issued.text)
    assert code is not None, issued.text
    [linked] = await shell.say(f"绑定 {code.group(1)}")
    assert "5" in linked.text  # the merged balance (the check-in's points) is told
    for text in ("where is my parcel", "CL2611180001", "5678"):
        await shell.say(text)
    await shell.say("人工")
    await web.say(UNANSWERED)
    other = Chat(bot, "web", "v-someone-else-entirely")
    await other.say("签到")
    await other.say("多久发货")
    return web, shell, other


def customer_of(bot: Bot, platform: str, user_id: str) -> str:
    customer = bot.store.customers.find(platform, user_id)
    assert customer is not None
    return customer.id


async def test_export_then_erase_across_two_linked_identities(bot: Bot) -> None:
    web, _shell, other = await converse(bot)
    person_id = customer_of(bot, "web", WEB_ID)
    assert customer_of(bot, "console", SHELL_ID) == person_id  # linked: one customer
    admin = Chat(bot, "console", "admin")
    [granted] = await admin.send(
        admin.message(f"/grant {person_id} 50 sorry for the wait", is_private=True)
    )
    assert "已加 50 积分" in granted.text, granted.text
    other_id = customer_of(bot, "web", other.user_id)
    now = utc_now()
    balance = bot.store.loyalty.balance(person_id, now)
    assert balance >= 55
    other_balance = bot.store.loyalty.balance(other_id, now)
    total = bot.store.db.scalar("SELECT sum(points) FROM ledger")
    bot.store.dead_letters.add(  # an authentic request of theirs that could not be parsed
        "web", "unparseable", {"x-telegram-bot-api-secret-token": "platform-secret-header"},
        f'{{"user_id": "{WEB_ID}", "text": '.encode(), now,
    )

    exported = brandbot(bot, "customer", "export", f"console:{SHELL_ID}")
    assert exported.returncode == 0, exported.stderr
    data: dict[str, Any] = json.loads(exported.stdout)
    tables = data["tables"]
    assert data["identities"] == [f"web:{WEB_ID}", f"console:{SHELL_ID}"]
    assert data["points_balance"] == balance
    assert len(data["customer_ids"]) == 2  # the shell's own customer was merged in
    platforms = {line["platform"] for line in tables["conversation_log"]}
    assert platforms == {"web", "console"}
    texts = {line["text"] for line in tables["conversation_log"]}
    assert {"签到", "CL2611180001", "5678", UNANSWERED} <= texts
    assert {row["user_id"] for row in tables["identities"]} == {WEB_ID, SHELL_ID}
    assert sum(row["points"] for row in tables["ledger"]) == balance
    assert [row["order_number"] for row in tables["order_access"]] == ["CL2611180001"]
    assert tables["handoffs"][0]["user_id"] == SHELL_ID
    assert len(tables["deliveries"]) >= 6 and tables["checkins"]
    assert [row["action"] for row in tables["staff_audit"]] == ["grant"]
    assert "v-someone-else-entirely" not in exported.stdout  # nobody else's data
    assert len(tables["dead_letters"]) == 1  # their body, not the platform's secret header
    assert "platform-secret-header" not in exported.stdout

    erased = brandbot(bot, "customer", "erase", f"web:{WEB_ID}", "--as", "dpo")
    assert erased.returncode == 0, erased.stderr
    assert f"erased {data['customer_id']}" in erased.stdout

    assert bot.store.privacy.find(f"web:{WEB_ID}") is None
    assert bot.store.privacy.find(f"console:{SHELL_ID}") is None
    left = bot.store.privacy.find(data["customer_id"])
    assert left is not None and left.identities == ()
    remains = json.dumps(bot.store.privacy.export(left, utc_now()), ensure_ascii=False)
    assert bot.store.db.scalar("SELECT count(*) FROM dead_letters") == 0
    for personal in (WEB_ID, SHELL_ID, NAME, UNANSWERED, "where is my parcel", "5678"):
        assert personal not in remains, personal
    review = json.dumps([item.examples for item in bot.store.kb_review.items()])
    assert UNANSWERED not in review
    # The ledger's sums still add up: the account's rows stay, one row writes the balance off.
    assert bot.store.loyalty.balance(data["customer_id"], utc_now()) == 0
    assert bot.store.db.scalar("SELECT sum(points) FROM ledger") == total - balance
    assert bot.store.loyalty.balance(other_id, utc_now()) == other_balance
    [write_off] = bot.store.db.query("SELECT * FROM ledger WHERE reason = 'erased'")
    assert write_off["points"] == -balance
    # The audit trail: the grant is still there, and the erasure is recorded by who did it.
    audit = {entry.action: entry for entry in bot.store.staff.recent_audit(10)}
    assert audit["grant"].target == data["customer_id"]
    assert audit["customer.erase"].staff == "dpo"
    assert audit["customer.erase"].after["points_written_off"] == balance
    assert audit["customer.erase"].after["rows"]["identities"] == 2
    # The other customer is untouched, and the person can start afresh.
    assert len(bot.store.conversations.recent(other_id)) == 4
    await web.say("多久发货")
    assert customer_of(bot, "web", WEB_ID) != data["customer_id"]


async def test_an_unknown_person_is_one_clear_line(bot: Bot) -> None:
    result = brandbot(bot, "customer", "erase", "telegram:404404")
    assert result.returncode == 1
    assert result.stderr.startswith("brandbot: no customer 'telegram:404404'")
    assert "Traceback" not in result.stderr


async def test_a_dry_run_erases_nothing(bot: Bot) -> None:
    await converse(bot)
    result = brandbot(bot, "customer", "erase", f"web:{WEB_ID}", "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "dry run: nothing erased" in result.stdout and "identities 2" in result.stdout
    assert bot.store.privacy.find(f"web:{WEB_ID}") is not None


def test_erasure_decides_for_every_table_that_names_a_customer(
    new_store: Callable[..., Store]
) -> None:
    """A new table with a customer column must say what erasing does to it (POLICY)."""
    store = new_store("store.db")
    try:
        assert sorted(customer_tables(store.db)) == sorted(POLICY)
    finally:
        store.close()
