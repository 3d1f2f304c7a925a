"""WhatsApp parsing, verification and handshake: every fixture to whole expected Messages."""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.adapters.whatsapp.adapter import WhatsAppAdapter, build
from bot.adapters.whatsapp.parse import Delivery, parse_delivery
from bot.config import Config
from bot.config.reader import TableReader
from bot.config.whatsapp import read_whatsapp as read_settings
from bot.core.adapter import InboundRequest, Receipt
from bot.core.errors import ConfigError, PayloadError, SignatureError
from bot.core.message import Event, Location, Media, Message, MessageKind
from bot.store import open_store
from tests.adapters.whatsapp.helpers import (
    ENV,
    FIXTURES,
    VERIFY_TOKEN,
    escaped_fixture,
    fixture,
    settings_table,
    signature,
    signed,
)
from tests.helpers.ports import ports_of

AT = datetime.fromtimestamp(1763890000, UTC)
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)  # when a test says the body arrived
ACCOUNT = "106540352242922"
LI = "8613800138000"
ANNA = "4915112345678"


def message(wamid: str, user: str = LI, **fields: object) -> Message:
    """An expected WhatsApp message with the fixtures' common values."""
    values: dict[str, object] = {
        "platform": "whatsapp", "message_id": wamid, "user_id": user, "chat_id": user,
        "kind": MessageKind.TEXT, "received_at": AT, "account": ACCOUNT,
        "display_name": "Li Wei" if user == LI else "Anna Schmidt",
        # By the number's country: +86 Chinese, +49 English, a Hong Kong user id traditional.
        "language": {LI: "zh-Hans", ANNA: "en"}.get(user, "zh-Hant"),
    }
    values.update(fields)
    return Message(**values)  # type: ignore[arg-type]


FIRST_TEXT = "wamid.HBgNODYxMzgwMDEzODAwMBUCABIYFjNFQjBDMDQ1RjA5QTFBMkUzQjQ0AA=="
LATER = ("delivered", "read", "played", "failed")

EXPECTED: dict[str, Delivery] = {
    "text.json": Delivery([message(FIRST_TEXT, text="多久发货？")]),
    "text_legacy_without_user_id.json": Delivery([
        message("wamid.HBgNNDkxNTExMjM0NTY3OBUCABIYFDNBMDFBQkNERUYwMTIzNDU2Nzg5AA==", ANNA,
                text="How long until my order ships?"),
    ]),
    # Contacts are listed Anna first, messages Li first: pairing goes by wa_id.
    "batched_two_contacts.json": Delivery([
        message("wamid.batch.first", text="你好"),
        message("wamid.batch.second", ANNA, text="Where is my parcel?"),
    ]),
    "interactive_button_reply.json": Delivery([
        message("wamid.button.reply", kind=MessageKind.BUTTON, text="几天能到",
                payload="faq:delivery-time", reply_to="wamid.out.earlier"),
    ]),
    "interactive_list_reply.json": Delivery([
        message("wamid.list.reply", kind=MessageKind.BUTTON, text="运费多少",
                payload="faq:shipping-fee", reply_to="wamid.out.list"),
    ]),
    "template_quick_reply.json": Delivery([
        message("wamid.template.button", kind=MessageKind.BUTTON, text="Talk to a person",
                payload="handoff", reply_to="wamid.out.template"),
    ]),
    "image_with_caption.json": Delivery([
        message("wamid.image", kind=MessageKind.IMAGE, text="茶叶罐到货时破了",
                media=Media("1087295418875104", mime_type="image/jpeg")),
    ]),
    "audio_voice_note.json": Delivery([
        message("wamid.audio", kind=MessageKind.VOICE,
                media=Media("2245098311122089", mime_type="audio/ogg; codecs=opus")),
    ]),
    "video_with_caption.json": Delivery([
        message("wamid.video", kind=MessageKind.VIDEO, text="unboxing",
                media=Media("944215512113360", mime_type="video/mp4")),
    ]),
    "document.json": Delivery([
        message("wamid.document", kind=MessageKind.FILE, text="发票",
                media=Media("1317461326066245", mime_type="application/pdf",
                            filename="invoice-20251123.pdf")),
    ]),
    "sticker.json": Delivery([
        message("wamid.sticker", kind=MessageKind.STICKER,
                media=Media("763342602718223", mime_type="image/webp")),
    ]),
    "location.json": Delivery([
        message("wamid.location", kind=MessageKind.LOCATION, location=Location(
            30.2489, 120.1446, "Cloud Leaf Tea 西湖店, 杭州市西湖区龙井路 1 号")),
    ]),
    "reaction.json": Delivery([
        message("wamid.reaction", kind=MessageKind.REACTION, text="👍",
                reply_to="wamid.out.answer"),
    ]),
    "unsupported.json": Delivery([message("wamid.unsupported", kind=MessageKind.UNSUPPORTED)]),
    "request_welcome.json": Delivery([
        message("wamid.welcome", kind=MessageKind.EVENT, event=Event.START.value),
    ]),
    "bsuid_without_phone.json": Delivery([
        message("wamid.bsuid", "HK.8890123312200017", display_name="Mei", text="有冇烏龍茶？"),
    ]),
    # An edit changes the logged text of the original message; a revoke and system messages
    # are events nobody answers; a changed number moves the customer's identity.
    "edit_text.json": Delivery([
        message("wamid.edit", text="多久发货？寄到上海", edit_of=FIRST_TEXT,
                received_at=datetime.fromtimestamp(1763890060, UTC)),
    ]),
    "revoke.json": Delivery([
        message("wamid.revoke", kind=MessageKind.EVENT, event=Event.MESSAGE_DELETED.value,
                payload=FIRST_TEXT, received_at=datetime.fromtimestamp(1763890090, UTC)),
    ]),
    "system_number_changed.json": Delivery([
        message("wamid.system.number", kind=MessageKind.EVENT,
                event=Event.IDENTITY_CHANGED.value, payload="8613900139000", display_name="",
                received_at=datetime.fromtimestamp(1763890120, UTC)),
    ]),
    "system_user_id_changed.json": Delivery([
        message("wamid.system.bsuid", "HK.8890123312200017", kind=MessageKind.EVENT,
                event=Event.IDENTITY_CHANGED.value, payload="HK.9990123312200018",
                display_name="", received_at=datetime.fromtimestamp(1763890150, UTC)),
    ]),
    "senderless_bsuid_contact.json": Delivery([
        message("wamid.senderless", "HK.8890123312200017", display_name="Mei", text="謝謝"),
    ]),
    "statuses_only.json": Delivery(receipts=[
        Receipt("whatsapp", "wamid.out.1", "delivered", "", LATER[1:]),
        Receipt("whatsapp", "wamid.out.2", "read", "", LATER[2:]),
        Receipt("whatsapp", "wamid.out.3", "failed",
                "131047 Re-engagement message: Message failed to send because more than 24"
                " hours have passed since the customer last replied to this number."),
    ]),
    "errors_only.json": Delivery(errors=["131000 Something went wrong: Unknown error"]),
    "two_entries_two_changes.json": Delivery(
        [
            message("wamid.entry.one", text="first entry"),
            message("wamid.entry.two", ANNA, text="second entry", account="106540352242933"),
        ],
        receipts=[Receipt("whatsapp", "wamid.out.9", "sent", "", LATER)],
    ),
}


@pytest.fixture
def adapter(tmp_path: Path, make_config: Callable[..., Config]) -> WhatsAppAdapter:
    config = make_config(platforms={"whatsapp": settings_table()}, env=ENV)
    return build(config.platforms["whatsapp"], ports_of(open_store(tmp_path / "adapter.db")))


def test_every_fixture_has_an_expectation() -> None:
    files = {path.name for path in FIXTURES.glob("*.json")}
    assert files == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_parses_to_the_expected_delivery(name: str, adapter: WhatsAppAdapter) -> None:
    request = signed(fixture(name))
    adapter.verify(request)
    expected = EXPECTED[name]
    assert adapter.parse(request) == expected.messages
    assert adapter.receipts(request) == expected.receipts
    assert parse_delivery(request.body, NOW).errors == expected.errors


def test_batched_messages_keep_their_own_contacts(adapter: WhatsAppAdapter) -> None:
    first, second = adapter.parse(signed(fixture("batched_two_contacts.json")))
    assert (first.user_id, first.display_name) == (LI, "Li Wei")
    assert (second.user_id, second.display_name) == (ANNA, "Anna Schmidt")


def test_errors_only_deliveries_are_logged(
    adapter: WhatsAppAdapter, caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="bot.adapters.whatsapp_parse"):
        assert adapter.parse(signed(fixture("errors_only.json"))) == []
    assert "131000 Something went wrong: Unknown error" in caplog.text


def test_a_message_is_kept_whole_in_raw(adapter: WhatsAppAdapter) -> None:
    [parsed] = adapter.parse(signed(fixture("unsupported.json")))
    assert parsed.raw["errors"][0]["code"] == 131051


def test_a_message_without_a_sender_is_skipped_not_misattributed() -> None:
    body = json.dumps({"entry": [{"changes": [{"value": {
        "contacts": [{"wa_id": LI, "profile": {"name": "Li Wei"}}],
        "messages": [{"id": "wamid.x", "type": "text", "text": {"body": "hi"}},
                     {"id": "wamid.y", "from": ANNA, "type": "text", "text": {"body": "yo"}}],
    }}]}]}).encode()
    [only] = parse_delivery(body, NOW).messages
    assert (only.message_id, only.user_id, only.display_name) == ("wamid.y", ANNA, "")


@pytest.mark.parametrize("body", [b"", b"not json", b"[]", b'{"object": "x"}', b"\xff\xfe",
                                  b'{"entry": {"id": 1}}'])
def test_unparseable_bodies_are_payload_errors(body: bytes, adapter: WhatsAppAdapter) -> None:
    with pytest.raises(PayloadError):
        adapter.parse(signed(body))


def test_truncated_json_is_a_payload_error(adapter: WhatsAppAdapter) -> None:
    body = fixture("text.json")
    request = signed(body[: len(body) // 2])
    adapter.verify(request)
    with pytest.raises(PayloadError):
        adapter.parse(request)


def test_signature_checks(adapter: WhatsAppAdapter) -> None:
    body = fixture("text.json")
    adapter.verify(signed(body))
    missing = InboundRequest("POST", "/", {}, {}, body)
    with pytest.raises(SignatureError) as error:
        adapter.verify(missing)
    assert error.value.status == 401
    for header in (signature(body, "other-secret"), signature(body)[7:], "sha256=zz",
                   "sha256=" + "é" * 64, signature(body + b" ")):
        request = InboundRequest("POST", "/", {}, {"x-hub-signature-256": header}, body)
        with pytest.raises(SignatureError) as error:
            adapter.verify(request)
        assert error.value.status == 403
    tampered = body.replace("多久".encode(), "几时".encode())
    with pytest.raises(SignatureError):
        adapter.verify(InboundRequest(
            "POST", "/", {}, {"x-hub-signature-256": signature(body)}, tampered))


def test_the_signature_is_over_the_raw_bytes_not_reserialised_json(
    adapter: WhatsAppAdapter,
) -> None:
    # Meta escapes non-ASCII as \uXXXX; json.dumps with ensure_ascii=False does not.
    body = escaped_fixture()
    reserialised = json.dumps(json.loads(body), ensure_ascii=False).encode()
    assert reserialised != body
    request = InboundRequest(
        "POST", "/", {}, {"x-hub-signature-256": signature(reserialised)}, body
    )
    with pytest.raises(SignatureError):
        adapter.verify(request)
    adapter.verify(signed(body))
    assert adapter.parse(signed(body))[0].text == "多久发货？"


def test_handshake(adapter: WhatsAppAdapter) -> None:
    def get(**query: str) -> tuple[int, str | bytes]:
        answer = adapter.handshake(InboundRequest("GET", "/", query, {}, b""))
        return answer.status, answer.body

    good = {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "11582"}
    assert get(**good) == (200, "11582")
    answer = adapter.handshake(InboundRequest("GET", "/", good, {}, b""))
    assert answer.content_type == "text/plain"
    assert get(**{**good, "hub.verify_token": "wrong"})[0] == 403
    assert get(**{**good, "hub.mode": "unsubscribe"})[0] == 403
    assert get(**{"hub.mode": "subscribe", "hub.challenge": "1"})[0] == 403
    assert get()[0] == 403


def test_settings_need_their_secrets_when_enabled(make_config: Callable[..., Config]) -> None:
    with pytest.raises(ConfigError) as error:
        make_config(platforms={"whatsapp": {"enabled": True, "api_base_url": "ftp://x",
                                            "color": "green"}})
    problems = str(error.value)
    for key in ("phone_number_id", "access_token_env", "app_secret_env", "verify_token_env",
                "api_base_url", "color"):
        assert f"platforms.whatsapp.{key}" in problems
    disabled = make_config(platforms={"whatsapp": {"enabled": False}})
    assert disabled.platforms["whatsapp"].enabled is False


def test_settings_read_every_key() -> None:
    problems: list[str] = []
    table = TableReader("platforms.whatsapp", settings_table(
        "http://127.0.0.1:1", window_template="reengage", template_language="zh_CN"
    ), problems, ENV)
    read = read_settings(table)
    table.finish()
    assert problems == []
    assert (read.access_token, read.app_secret, read.verify_token) == (
        "test-access-token", "test-app-secret", VERIFY_TOKEN)
    assert (read.window_template, read.template_language) == ("reengage", "zh_CN")
    assert "test-app-secret" not in repr(read) and "test-access-token" not in repr(read)


JSON_SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8)
KEYS = st.sampled_from([
    "entry", "changes", "value", "messages", "contacts", "statuses", "errors", "from", "id",
    "type", "text", "body", "wa_id", "user_id", "from_user_id", "profile", "name", "timestamp",
    "interactive", "button_reply", "list_reply", "button", "payload", "image", "caption",
    "location", "latitude", "longitude", "reaction", "emoji", "status", "metadata",
    "phone_number_id", "context", "code", "error_data", "details", "title",
])
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(KEYS | st.text(max_size=4), children, max_size=5),
    max_leaves=30,
)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200))
def test_any_bytes_parse_or_raise_payload_error(body: bytes) -> None:
    with contextlib.suppress(PayloadError):
        parse_delivery(body, NOW)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.just("entry") | KEYS, JSON_VALUES, max_size=3))
def test_any_json_shape_parses_to_messages_with_ids_or_raises_payload_error(
    data: dict[str, object],
) -> None:
    try:
        delivery = parse_delivery(json.dumps(data).encode(), NOW)
    except PayloadError:
        return
    for parsed in delivery.messages:
        assert parsed.message_id and parsed.user_id and parsed.chat_id == parsed.user_id
        assert isinstance(parsed.kind, MessageKind)
        Message.from_dict(json.loads(json.dumps(parsed.to_dict())))
    for receipt in delivery.receipts:
        assert receipt.platform_message_id and receipt.state


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from([LI, ANNA, "4477009000"]), st.text(max_size=20)),
             max_size=6),
    st.randoms(use_true_random=False),
)
def test_every_message_of_a_batch_is_parsed_with_its_own_contact(
    items: list[tuple[str, str]], random: object,
) -> None:
    names = {LI: "Li Wei", ANNA: "Anna Schmidt", "4477009000": "Sam"}
    contacts = [{"wa_id": wa_id, "profile": {"name": name}} for wa_id, name in names.items()]
    random.shuffle(contacts)  # type: ignore[attr-defined]
    messages = [
        {"from": sender, "id": f"wamid.{index}", "timestamp": "1763890000", "type": "text",
         "text": {"body": text}}
        for index, (sender, text) in enumerate(items)
    ]
    body = json.dumps({"entry": [{"changes": [{"value": {
        "contacts": contacts, "messages": messages}}]}]}).encode()
    parsed = parse_delivery(body, NOW).messages
    assert [(m.message_id, m.user_id, m.text, m.display_name) for m in parsed] == [
        (f"wamid.{index}", sender, text, names[sender])
        for index, (sender, text) in enumerate(items)
    ]
