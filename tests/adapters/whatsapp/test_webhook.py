"""WhatsApp end to end: /webhooks/whatsapp in, a fake Graph API on 127.0.0.1 out."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.app import Bot, build_bot
from bot.config import Config
from bot.core.clock import iso
from bot.core.message import Address, Reply
from bot.server.app import create_app
from bot.store.outbox import OutboxRow
from tests.adapters.whatsapp.helpers import (
    ENV,
    PHONE_NUMBER_ID,
    VERIFY_TOKEN,
    escaped_fixture,
    fixture,
    settings_table,
    signature,
)
from tests.fakes.whatsapp_api import FakeGraphApi, Received, Scripted, graph_error

LI = "8613800138000"
ANNA = "4915112345678"
MESSAGES_PATH = f"/v26.0/{PHONE_NUMBER_ID}/messages"


@dataclass
class Harness:
    """The app under test, its bot, and the fake Graph API it sends to."""

    client: TestClient[Any, Any]
    bot: Bot
    graph: FakeGraphApi

    async def post(self, body: bytes, header: str | None = "sign") -> tuple[int, str]:
        headers = {"Content-Type": "application/json"}
        if header == "sign":
            headers["X-Hub-Signature-256"] = signature(body)
        elif header is not None:
            headers["X-Hub-Signature-256"] = header
        # A BytesIO: aiohttp warns that large raw bytes could block its event loop.
        response = await self.client.post(
            "/webhooks/whatsapp", data=io.BytesIO(body), headers=headers
        )
        return response.status, await response.text()

    async def settled(self, count: int) -> list[Received]:
        """Wait for `count` sends, then for the outbox to record their outcome."""
        received = await self.graph.wait_for(count)
        await self.finished()
        return received

    async def finished(self, timeout: float = 5.0) -> None:
        """Wait until every outbox row is done (sent, failed or undeliverable)."""

        # A rescheduled row raises no event of its own: look again each time the outbox idles.
        async def done() -> None:
            while any(row.status in ("pending", "sending") for row in self.all_rows()):
                await self.bot.outbox.wait_idle()
                await asyncio.sleep(0.01)

        await asyncio.wait_for(done(), timeout)

    def all_rows(self) -> list[OutboxRow]:
        return list(reversed(self.bot.store.outbox.list(limit=100)))

    def rows(self) -> list[OutboxRow]:
        """The messages sent, without the read receipts of handled messages."""
        return [row for row in self.all_rows() if "status" not in row.request.body]

    def close_window(self, user_id: str, hours: float = 25) -> None:
        """Pretend the customer last wrote `hours` ago."""
        moment = self.bot.clock.now() - timedelta(hours=hours)
        self.bot.store.db.execute(
            "UPDATE identities SET last_inbound_at = ? WHERE platform = 'whatsapp'"
            " AND user_id = ?", [iso(moment), user_id],
        )


@pytest.fixture
def harness_for(
    make_config: Callable[..., Config], graph: FakeGraphApi,
    aiohttp_client: Callable[..., Any],
) -> Callable[..., Any]:
    async def make(**extra: Any) -> Harness:
        outbox = extra.pop("outbox", {})
        # No welcome gift: a first WhatsApp message would get it as an extra send, and these
        # tests are about the adapter (tests/handlers/test_referral.py covers the gift).
        config = make_config(
            platforms={"whatsapp": settings_table(graph.url, **extra)}, env=ENV, outbox=outbox,
            rewards={"follow_bonus": 0},
        )
        bot = build_bot(config)
        client = await aiohttp_client(create_app(bot))
        return Harness(client, bot, graph)

    return make


@pytest.fixture
async def harness(harness_for: Callable[..., Any]) -> Harness:
    made: Harness = await harness_for()
    return made


def shown_text(body: dict[str, Any]) -> str:
    """What the customer reads of one sent message."""
    if body["type"] == "text":
        return str(body["text"]["body"])
    if body["type"] == "interactive":
        return str(body["interactive"]["body"]["text"])
    return ""


def with_change(name: str, change: Callable[[dict[str, Any]], None]) -> bytes:
    data = json.loads(fixture(name))
    change(data["entry"][0]["changes"][0]["value"]["messages"][0])
    return json.dumps(data, ensure_ascii=False).encode()


async def test_the_handshake_echoes_the_challenge(harness: Harness) -> None:
    query = {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "4242"}
    response = await harness.client.get("/webhooks/whatsapp", params=query)
    assert (response.status, await response.text()) == (200, "4242")
    assert response.content_type == "text/plain"
    query["hub.verify_token"] = "guess"
    response = await harness.client.get("/webhooks/whatsapp", params=query)
    assert response.status == 403


async def test_a_question_is_answered_through_the_graph_api(harness: Harness) -> None:
    assert await harness.post(fixture("text.json")) == (200, "ok")
    [sent] = await harness.settled(1)
    assert sent.path == MESSAGES_PATH
    assert sent.authorization == "Bearer test-access-token"
    assert sent.body["to"] == LI and sent.body["messaging_product"] == "whatsapp"
    expected = harness.bot.faqs.get("shipping-time")
    assert expected is not None
    assert shown_text(sent.body).startswith(expected.answer("zh-Hans"))
    # Two follow-ups plus the two feedback buttons: more than 3, so an interactive list.
    [section] = sent.body["interactive"]["action"]["sections"]
    assert [row["id"] for row in section["rows"]] == [
        "faq:delivery-time", "faq:shipping-fee", "feedback:up:shipping-time",
        "feedback:down:shipping-time",
    ]
    [row] = harness.rows()
    assert (row.status, row.platform_message_id) == ("sent", "wamid.out.1")
    customer = harness.bot.store.customers.find("whatsapp", LI)
    assert customer is not None and customer.display_name == "Li Wei"


@pytest.mark.parametrize("name", ["interactive_button_reply.json", "interactive_list_reply.json"])
async def test_a_pressed_button_runs_the_action_of_its_id_not_its_title(
    harness: Harness, name: str,
) -> None:
    def retitle(message: dict[str, Any]) -> None:
        reply = message["interactive"].get("button_reply") or message["interactive"]["list_reply"]
        reply["title"] = "怎么退货"  # a title that alone would match the returns FAQ
    await harness.post(with_change(name, retitle))
    [sent] = await harness.settled(1)
    faq_id = "delivery-time" if "button" in name else "shipping-fee"
    expected = harness.bot.faqs.get(faq_id)
    assert expected is not None
    assert shown_text(sent.body).startswith(expected.answer("zh-Hans"))


async def test_a_batch_answers_each_customer_separately(harness: Harness) -> None:
    await harness.post(fixture("batched_two_contacts.json"))
    sent = await harness.settled(2)
    by_recipient = {item.body["to"]: shown_text(item.body) for item in sent}
    assert set(by_recipient) == {LI, ANNA}
    assert "你好呀" in by_recipient[LI]  # "你好" is greeted in Chinese
    assert harness.bot.store.customers.find("whatsapp", ANNA) is not None


async def test_unsupported_gets_a_polite_answer_and_a_reaction_gets_none(
    harness: Harness,
) -> None:
    await harness.post(fixture("reaction.json"))
    await harness.post(fixture("unsupported.json"))
    [sent] = await harness.settled(1)
    assert "文字" in shown_text(sent.body)
    assert harness.bot.store.deliveries.count() == 2
    assert len(harness.rows()) == 1


async def test_status_webhooks_update_the_delivery_state_and_send_nothing(
    harness: Harness,
) -> None:
    await harness.post(fixture("text.json"))
    await harness.settled(1)

    def statuses(*items: tuple[str, str]) -> bytes:
        return json.dumps({"object": "whatsapp_business_account", "entry": [{"id": "1",
            "changes": [{"field": "messages", "value": {"statuses": [
                {"id": wamid, "status": state, "timestamp": "1763890100",
                 "recipient_id": LI} for wamid, state in items]}}]}]}).encode()

    assert await harness.post(statuses(("wamid.out.1", "read"))) == (200, "ok")
    assert await harness.post(statuses(("wamid.out.1", "delivered"))) == (200, "ok")  # late
    [row] = harness.rows()
    assert row.delivery_state == "read"
    assert len(harness.graph.received) == 1
    assert harness.bot.store.deliveries.count() == 1


async def test_a_failed_status_keeps_its_error(harness: Harness) -> None:
    await harness.post(fixture("text.json"))
    await harness.settled(1)
    data = json.loads(fixture("statuses_only.json"))
    data["entry"][0]["changes"][0]["value"]["statuses"][2]["id"] = "wamid.out.1"
    await harness.post(json.dumps(data).encode())
    [row] = harness.rows()
    assert row.delivery_state == "failed" and "131047" in row.last_error


async def test_outside_the_window_the_template_goes_instead(
    harness_for: Callable[..., Any],
) -> None:
    harness: Harness = await harness_for(window_template="reengage", template_language="zh_CN")
    await harness.post(fixture("text.json"))
    await harness.settled(1)
    harness.close_window(LI)
    assert harness.bot.outgoing.notify(
        harness.bot.store.customers.find("whatsapp", LI).id,  # type: ignore[union-attr]
        [Reply("news")], "n1",
    ) is None
    adapter = harness.bot.adapters["whatsapp"]
    for text in ("Your parcel has shipped", "Another update"):
        for request in adapter.render_to(Address("whatsapp", LI, LI), [Reply(text)]):
            harness.bot.outbox.enqueue(request)
        await harness.finished()
    sent = await harness.settled(2)
    assert sent[1].body == {
        "messaging_product": "whatsapp", "recipient_type": "individual", "to": LI,
        "type": "template", "template": {"name": "reengage", "language": {"code": "zh_CN"}},
    }
    _, template, again = harness.rows()
    assert template.status == "sent" and "template 'reengage'" in template.last_error
    assert again.status == "undeliverable" and "already sent" in again.last_error
    assert len(harness.graph.received) == 2  # never a free-form send outside the window


async def test_outside_the_window_without_a_template_nothing_is_sent(harness: Harness) -> None:
    await harness.post(fixture("text.json"))
    await harness.settled(1)
    harness.close_window(LI)
    adapter = harness.bot.adapters["whatsapp"]
    for request in adapter.render_to(Address("whatsapp", LI, LI), [Reply("Your parcel")]):
        harness.bot.outbox.enqueue(request)
    await harness.finished()
    row = harness.rows()[-1]
    assert row.status == "undeliverable"
    assert "outside the 24-hour window" in row.last_error
    assert len(harness.graph.received) == 1


async def test_a_reply_held_back_until_the_window_closed_is_not_sent_free_form(
    harness_for: Callable[..., Any],
) -> None:
    # The first attempt hits a rate limit; by the retry the window has closed.
    harness: Harness = await harness_for(outbox={"base_delay_seconds": 0.05})
    harness.graph.script.append(graph_error(130429, "Rate limit hit"))
    await harness.post(fixture("text.json"))
    await harness.graph.wait_for(1)
    harness.close_window(LI)
    await harness.finished()
    [row] = harness.rows()
    assert row.status == "undeliverable" and "24-hour window" in row.last_error
    assert len(harness.graph.received) == 1


async def test_a_tampered_or_unsigned_body_is_refused_and_nothing_is_stored(
    harness: Harness,
) -> None:
    body = fixture("text.json")
    tampered = body.replace("多久发货".encode(), "退款退款".encode())
    assert (await harness.post(tampered, signature(body)))[0] == 403
    assert (await harness.post(body, None))[0] == 401
    assert (await harness.post(body, "sha256=" + "0" * 64))[0] == 403
    store = harness.bot.store
    assert store.deliveries.count() == 0 and store.dead_letters.count() == 0
    assert store.customers.count() == 0


async def test_a_signature_over_reserialised_json_fails(harness: Harness) -> None:
    body = escaped_fixture()
    reserialised = json.dumps(json.loads(body), ensure_ascii=False).encode()
    assert (await harness.post(body, signature(reserialised)))[0] == 403
    assert (await harness.post(body))[0] == 200
    [sent] = await harness.settled(1)
    assert "16:00" in shown_text(sent.body)


async def test_truncated_json_with_a_valid_signature_is_a_dead_letter(harness: Harness) -> None:
    body = fixture("text.json")[:200]
    assert (await harness.post(body))[0] == 400
    [letter] = harness.bot.store.dead_letters.recent()
    assert letter["platform"] == "whatsapp" and letter["body"] == body
    assert harness.bot.store.deliveries.count() == 0


async def test_a_delivery_of_three_megabytes_is_accepted(harness: Harness) -> None:
    data = json.loads(fixture("text.json"))
    # Meta's notifications can be large (long batches); padding stands in for them here.
    data["entry"][0]["changes"][0]["value"]["padding"] = "x" * (3 * 1024 * 1024)
    body = json.dumps(data, ensure_ascii=False).encode()
    assert (await harness.post(body))[0] == 200
    [sent] = await harness.settled(1)
    assert "16:00" in shown_text(sent.body)


async def test_replays_and_concurrent_duplicates_are_handled_once(harness: Harness) -> None:
    body = fixture("text.json")
    answers = await asyncio.gather(*(harness.post(body) for _ in range(5)))
    assert all(status == 200 for status, _ in answers)
    await harness.settled(1)
    assert (await harness.post(body))[0] == 200  # a later replay
    await harness.finished()
    assert len(harness.graph.received) == 1
    assert len(harness.rows()) == 1
    customer = harness.bot.store.customers.find("whatsapp", LI)
    assert customer is not None
    inbound = [line for line in harness.bot.store.conversations.recent(customer.id)
               if line.direction == "in"]
    assert len(inbound) == 1


@pytest.mark.parametrize(
    ("answer", "status", "error"),
    [
        (graph_error(131047, "Re-engagement message"), "undeliverable", "131047"),
        (graph_error(100, "Invalid parameter"), "failed", "Invalid parameter"),
    ],
)
async def test_permanent_graph_errors_are_not_retried(
    harness: Harness, answer: Scripted, status: str, error: str,
) -> None:
    harness.graph.script.append(answer)
    await harness.post(fixture("text.json"))
    await harness.settled(1)
    [row] = harness.rows()
    assert (row.status, row.attempts) == (status, 1) and error in row.last_error


@pytest.mark.parametrize(
    "answer",
    [graph_error(130429, "Rate limit hit"), graph_error(131056, "Pair rate limit hit"),
     Scripted(503, {"error": {"message": "Service unavailable", "code": 2}}),
     Scripted(429, {}, {"Retry-After": "0"})],
)
async def test_rate_limits_and_server_errors_are_retried(
    harness: Harness, answer: Scripted,
) -> None:
    harness.graph.script.append(answer)
    await harness.post(fixture("text.json"))
    await harness.settled(2)
    [row] = harness.rows()
    assert (row.status, row.attempts, row.platform_message_id) == ("sent", 2, "wamid.out.1")


async def test_a_stalled_send_times_out_and_is_retried(harness_for: Callable[..., Any]) -> None:
    harness: Harness = await harness_for(outbox={"timeout_seconds": 0.2})
    harness.graph.script.append(Scripted(stall=True))
    await harness.post(fixture("text.json"))
    await harness.settled(2)
    harness.graph.release()
    [row] = harness.rows()
    assert (row.status, row.attempts) == ("sent", 2)


# One answer per customer turn (issue 15): edits, deletions, number changes, sender-less
# business-scoped ids, small talk and the first reply's language.


async def test_an_edit_updates_the_log_and_gets_no_second_reply(harness: Harness) -> None:
    await harness.post(fixture("text.json"))
    await harness.settled(1)
    assert await harness.post(fixture("edit_text.json")) == (200, "ok")
    await harness.finished()
    assert len(harness.graph.received) == 1
    customer = harness.bot.store.customers.find("whatsapp", LI)
    assert customer is not None
    texts = [line.text for line in harness.bot.store.conversations.recent(customer.id)
             if line.direction == "in"]
    assert texts == ["多久发货？寄到上海"]


async def test_a_revoke_gets_no_reply(harness: Harness) -> None:
    assert await harness.post(fixture("revoke.json")) == (200, "ok")
    await asyncio.gather(*harness.bot.ingress.running)
    await harness.finished()
    assert harness.graph.received == []


async def test_a_number_change_moves_the_identity_without_a_reply(harness: Harness) -> None:
    await harness.post(fixture("text.json"))
    await harness.settled(1)
    before = harness.bot.store.customers.find("whatsapp", LI)
    assert await harness.post(fixture("system_number_changed.json")) == (200, "ok")
    await asyncio.gather(*harness.bot.ingress.running)
    await harness.finished()
    assert len(harness.graph.received) == 1  # still only the first answer
    after = harness.bot.store.customers.find("whatsapp", "8613900139000")
    assert before is not None and after is not None and after.id == before.id
    assert harness.bot.store.customers.find("whatsapp", LI) is None


async def test_a_sender_less_message_is_handled_under_its_contacts_user_id(
    harness: Harness,
) -> None:
    await harness.post(fixture("senderless_bsuid_contact.json"))
    [sent] = await harness.settled(1)
    assert sent.body["recipient"] == "HK.8890123312200017"  # a user id, not a number
    thanks = harness.bot.faqs.get("small-talk.thanks")
    # "謝謝" from a Hong Kong user id: small talk, answered in traditional characters.
    assert thanks is not None and shown_text(sent.body) == thanks.answer("zh-Hant")


async def test_a_welcome_request_is_answered_in_the_numbers_language(harness: Harness) -> None:
    def from_hong_kong(message: dict[str, Any]) -> None:
        message["from"] = "85291234567"

    body = json.loads(with_change("request_welcome.json", from_hong_kong))
    body["entry"][0]["changes"][0]["value"]["contacts"][0]["wa_id"] = "85291234567"
    await harness.post(json.dumps(body, ensure_ascii=False).encode())
    [sent] = await harness.settled(1)
    welcome = harness.bot.pipeline.texts.get(
        "welcome", "zh-Hant", brand=harness.bot.config.bot.brand
    )
    assert shown_text(sent.body) == welcome


@pytest.mark.parametrize(("text", "entry"), [("谢谢", "thanks"), ("ok", "acknowledge"),
                                             ("在吗", "greeting"), ("是的", "affirm")])
async def test_small_talk_on_whatsapp(harness: Harness, text: str, entry: str) -> None:
    def saying(message: dict[str, Any]) -> None:
        message["text"]["body"] = text

    await harness.post(with_change("text.json", saying))
    [sent] = await harness.settled(1)
    found = harness.bot.faqs.get(f"small-talk.{entry}")
    # +86: a Chinese-speaking customer, even when the first word is "ok".
    assert found is not None and shown_text(sent.body) == found.answer("zh-Hans")


async def test_a_handled_message_is_marked_read_and_a_reaction_is_not(harness: Harness) -> None:
    wamid = "wamid.HBgNODYxMzgwMDEzODAwMBUCABIYFjNFQjBDMDQ1RjA5QTFBMkUzQjQ0AA=="
    await harness.post(fixture("reaction.json"))
    await harness.post(fixture("text.json"))
    assert await harness.graph.wait_for_read(1) == [wamid]
    await harness.settled(1)
    # Marked read before its answer goes, and exactly once.
    receipt, answer = [row for row in harness.all_rows() if row.request.user_id == LI][:2]
    assert receipt.request.body == {"messaging_product": "whatsapp", "status": "read",
                                    "message_id": wamid}
    assert answer.request.body["type"] == "interactive"
    await harness.post(fixture("text.json"))  # Meta's redelivery: handled once, read once
    await harness.finished()
    assert harness.graph.marked_read == [wamid]


async def test_marking_read_can_be_switched_off(harness_for: Callable[..., Any]) -> None:
    harness: Harness = await harness_for(mark_read=False)
    await harness.post(fixture("text.json"))
    await harness.settled(1)
    assert harness.graph.marked_read == []
    assert all("status" not in row.request.body for row in harness.all_rows())
