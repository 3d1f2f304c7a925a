"""WeChat adapter: every fixture in every mode parsed whole, verification, rendering, crypto."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.adapters.wechat.adapter import WeChatAdapter
from bot.adapters.wechat.crypto import MessageCipher
from bot.adapters.wechat.xml import read_fields
from bot.config import Config
from bot.config.wechat import WeChatSettings, decode_aes_key
from bot.core.adapter import InboundRequest
from bot.core.errors import ConfigError, CryptoError, PayloadError, SignatureError
from bot.core.message import Button, Event, Location, Media, Message, MessageKind, Reply
from bot.store import Store, open_store
from tests.helpers.ports import ports_of
from tests.helpers.wechat import (
    ACCOUNT,
    AES_KEY,
    APP_ID,
    APP_SECRET,
    ENV,
    FIXTURES,
    MODES,
    OPENID,
    TOKEN,
    decrypt_reply,
    encrypt,
    fixture,
    platform_table,
    push,
    sha1,
    stored_push,
)


def at(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def message(**fields: Any) -> Message:
    values: dict[str, Any] = {"platform": "wechat", "user_id": OPENID, "chat_id": OPENID,
                              "account": ACCOUNT}
    values.update(fields)
    return Message(**values)


def event_id(created: int, name: str) -> str:
    return f"{OPENID}:{created}:{name}"


# One expectation per fixture file; a fixture without one fails test_every_fixture_is_expected.
EXPECTED: dict[str, Message] = {
    "text": message(
        message_id="24351234567890123", source_id="24351234567890123", kind=MessageKind.TEXT,
        text='多久发货？🍵 <b>&amp; "quotes"', received_at=at(1763862000),
    ),
    "image": message(
        message_id="24351234567890124", source_id="24351234567890124", kind=MessageKind.IMAGE,
        media=Media("yW3pBm9Qx-ImageMediaId_0123456789abcdefABCDEF",
                    url="http://mmbiz.qpic.cn/mmbiz_jpg/5Jd2xR0example/0"),
        received_at=at(1763862001),
    ),
    "voice": message(
        message_id="24351234567890125", source_id="24351234567890125", kind=MessageKind.VOICE,
        text="我的订单到哪了", media=Media("vM1dK8-VoiceMediaId_0123456789abcdef",
                                          mime_type="audio/amr"),
        received_at=at(1763862002),
    ),
    "voice_unrecognised": message(
        message_id="24351234567890126", source_id="24351234567890126", kind=MessageKind.VOICE,
        media=Media("vM1dK8-VoiceMediaId_unrecognised", mime_type="audio/speex"),
        received_at=at(1763862003),
    ),
    "video": message(
        message_id="24351234567890127", source_id="24351234567890127", kind=MessageKind.VIDEO,
        media=Media("vD9-VideoMediaId_0123456789"), received_at=at(1763862004),
    ),
    "shortvideo": message(
        message_id="24351234567890128", source_id="24351234567890128", kind=MessageKind.VIDEO,
        media=Media("sV4-ShortVideoMediaId_0123456789"), received_at=at(1763862005),
    ),
    "location": message(
        message_id="24351234567890129", source_id="24351234567890129",
        kind=MessageKind.LOCATION,
        location=Location(30.274084, 120.15507, label="浙江省杭州市西湖区龙井路"),
        received_at=at(1763862006),
    ),
    "link": message(
        message_id="24351234567890130", source_id="24351234567890130", kind=MessageKind.LINK,
        text="明前龙井冲泡指南", payload="https://mp.weixin.qq.com/s/AbCdEfGhIjKl",
        received_at=at(1763862007),
    ),
    "subscribe": message(
        message_id=event_id(1763862008, "subscribe"), kind=MessageKind.EVENT,
        event=Event.FOLLOW, received_at=at(1763862008),
    ),
    "subscribe_scene": message(
        message_id=event_id(1763862009, "subscribe"), kind=MessageKind.EVENT,
        event=Event.FOLLOW, payload="ref_ABC", received_at=at(1763862009),
    ),
    "unsubscribe": message(
        message_id=event_id(1763862010, "unsubscribe"), kind=MessageKind.EVENT,
        event=Event.UNFOLLOW, received_at=at(1763862010),
    ),
    "scan": message(
        message_id=event_id(1763862011, "SCAN"), kind=MessageKind.EVENT, event=Event.SCAN,
        payload="ref_ABC", received_at=at(1763862011),
    ),
    "click": message(
        message_id=event_id(1763862012, "CLICK"), kind=MessageKind.EVENT,
        event=Event.MENU_CLICK, payload="MENU_ORDERS", received_at=at(1763862012),
    ),
    "view": message(
        message_id=event_id(1763862013, "VIEW"), kind=MessageKind.EVENT,
        event=Event.MENU_VIEW, payload="https://cloudleaf.example/shop",
        received_at=at(1763862013),
    ),
    "location_event": message(
        message_id=event_id(1763862014, "LOCATION"), kind=MessageKind.EVENT,
        event=Event.LOCATION_REPORT, location=Location(latitude=30.274084, longitude=120.15507),
        received_at=at(1763862014),
    ),
    "unknown_type": message(
        message_id="24351234567890131", source_id="24351234567890131",
        kind=MessageKind.UNSUPPORTED, received_at=at(1763862015),
    ),
    "unknown_event": message(
        message_id=event_id(1763862016, "TEMPLATESENDJOBFINISH"), kind=MessageKind.EVENT,
        event="wechat.templatesendjobfinish", received_at=at(1763862016),
    ),
}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """One store file for the module: these tests only translate, they never write."""
    return open_store(tmp_path_factory.mktemp("wechat") / "wechat.db")


def make_adapter(store: Store, mode: str = "safe") -> WeChatAdapter:
    settings = WeChatSettings(
        enabled=True, app_id=APP_ID, mode=mode, api_base_url="http://127.0.0.1:9",
        token=TOKEN, aes_key=AES_KEY, app_secret=APP_SECRET,
    )
    return WeChatAdapter(settings, ports_of(store))


def inbound(query: dict[str, str], body: bytes, method: str = "POST") -> InboundRequest:
    return InboundRequest(method, "/webhooks/wechat", query, {}, body)


@pytest.mark.parametrize("folder", ["", "compatible", "safe"])
def test_every_fixture_is_expected(folder: str) -> None:
    names = {path.stem for path in (FIXTURES / folder).glob("*.xml")}
    assert names == set(EXPECTED)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_parses_to_whole_message(store: Store, name: str, mode: str) -> None:
    adapter = make_adapter(store, mode)
    request = inbound(*stored_push(name, mode))
    adapter.verify(request)
    messages = adapter.parse(request)
    assert messages == [EXPECTED[name]]
    assert messages[0].raw["encrypted"] is (mode != "plain")


def test_compatible_mode_trusts_the_encrypted_copy(store: Store) -> None:
    """In compatible mode the plain fields are not signed; the decrypted ones win."""
    query, body = push(fixture("text"), "compatible")
    forged = body.replace("多久发货".encode(), b"forged!", 1)
    assert forged != body
    adapter = make_adapter(store, "compatible")
    adapter.verify(inbound(query, forged))
    assert adapter.parse(inbound(query, forged))[0].text.startswith("多久发货")


def test_handshake_echoes_only_with_the_right_signature(store: Store) -> None:
    adapter = make_adapter(store)
    timestamp = str(int(time.time()))
    query = {"signature": sha1(TOKEN, timestamp, "42"), "timestamp": timestamp,
             "nonce": "42", "echostr": "7355608123"}
    answer = adapter.handshake(inbound(query, b"", "GET"))
    assert (answer.status, answer.body) == (200, "7355608123")
    bad = adapter.handshake(inbound({**query, "signature": "0" * 40}, b"", "GET"))
    assert bad.status == 403 and "7355608123" not in str(bad.body)
    missing = adapter.handshake(inbound({"echostr": "1"}, b"", "GET"))
    assert missing.status == 403


def _tamper_ciphertext(query: dict[str, str], body: bytes) -> tuple[dict[str, str], bytes]:
    text = body.decode()
    encrypted = re.search(r"<Encrypt><!\[CDATA\[(.*?)\]\]>", text)
    assert encrypted is not None
    value = encrypted.group(1)
    flipped = ("A" if value[10] != "A" else "B").join((value[:10], value[11:]))
    return query, text.replace(value, flipped).encode()


NO_ENCRYPT = b"<xml><ToUserName>x</ToUserName></xml>"
BAD_REQUESTS: dict[str, tuple[str, Callable[..., tuple[dict[str, str], bytes]], int]] = {
    "bad signature": ("plain", lambda q, b: ({**q, "signature": "f" * 40}, b), 403),
    "missing signature": ("plain", lambda q, b: ({"timestamp": "1", "nonce": "2"}, b), 403),
    "bad msg_signature": ("safe", lambda q, b: ({**q, "msg_signature": "0" * 40}, b), 403),
    "tampered ciphertext": ("safe", _tamper_ciphertext, 403),
    "plain body in safe mode": ("safe", lambda q, b: (
        {k: v for k, v in q.items() if k not in ("encrypt_type", "msg_signature")},
        fixture("text").encode()), 403),
    "truncated envelope": ("safe", lambda q, b: (q, b[: len(b) // 2]), 400),
    "envelope without Encrypt": ("safe", lambda q, b: (q, NO_ENCRYPT), 400),
    "entity in envelope": ("safe", lambda q, b: (q, b'<!DOCTYPE x [<!ENTITY e "y">]>' + b), 400),
}


@pytest.mark.parametrize("case", sorted(BAD_REQUESTS))
def test_verify_refuses(store: Store, case: str) -> None:
    mode, change, status = BAD_REQUESTS[case]
    query, body = change(*push(fixture("text"), mode))
    with pytest.raises(SignatureError) as caught:
        make_adapter(store, mode).verify(inbound(query, body))
    assert caught.value.status == status


def test_ciphertext_for_another_app_is_refused(store: Store) -> None:
    other = MessageCipher(AES_KEY, "wx0000000000000000").encrypt(fixture("text"))
    body = f"<xml><Encrypt><![CDATA[{other}]]></Encrypt></xml>".encode()
    query, _ = push(fixture("text"), "safe")
    query["msg_signature"] = sha1(TOKEN, query["timestamp"], query["nonce"], other)
    with pytest.raises(SignatureError, match="another AppID"):
        make_adapter(store).verify(inbound(query, body))


BAD_BODIES = {
    "truncated": fixture("text")[:-20],
    "billion laughs": """<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">
<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<xml><Content>&lol3;</Content></xml>""",
    "external entity": """<?xml version="1.0"?><!DOCTYPE xml [
<!ENTITY xxe SYSTEM "file:///etc/passwd">]><xml><ToUserName>gh_1</ToUserName>
<FromUserName>o1</FromUserName><CreateTime>1</CreateTime><MsgType>text</MsgType>
<Content>&xxe;</Content><MsgId>1</MsgId></xml>""",
    "utf-16 doctype": '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE x><xml/>',
    "no MsgType": fixture("text").replace("<MsgType><![CDATA[text]]></MsgType>", ""),
    "bad CreateTime": fixture("text").replace("1763862000", "yesterday"),
    "CreateTime after year 9999": fixture("text").replace("1763862000", "999999999999"),
    "CreateTime in other digits": fixture("text").replace("1763862000", "١٧٦٣٨٦٢٠٠٠"),
    "latitude out of range": fixture("location").replace("30.274084", "930.1"),
    "json": '{"MsgType": "text"}',
}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case", sorted(BAD_BODIES))
def test_unparseable_bodies_are_payload_errors(store: Store, case: str, mode: str) -> None:
    text = BAD_BODIES[case]
    body = text.encode("utf-16") if "UTF-16" in text else text.encode()
    adapter = make_adapter(store, mode)
    if mode == "plain":
        request = inbound(push(text, "plain")[0], body)
    else:
        encrypted = encrypt(text)
        request = inbound(
            {"encrypt_type": "aes"}, f"<xml><Encrypt>{encrypted}</Encrypt></xml>".encode()
        )
    with pytest.raises(PayloadError):
        adapter.parse(request)


@settings(max_examples=200, deadline=None)
@given(body=st.binary(max_size=600), encrypted=st.booleans())
def test_arbitrary_bytes_give_messages_or_payload_error(body: bytes, encrypted: bool) -> None:
    adapter = make_adapter_for_property()
    query = {"encrypt_type": "aes"} if encrypted else {}
    try:
        messages = adapter.parse(inbound(query, body))
    except PayloadError:
        return
    assert all(isinstance(item, Message) for item in messages)


FIELD_NAMES = st.sampled_from(
    ["ToUserName", "FromUserName", "CreateTime", "MsgType", "MsgId", "Content", "Event",
     "EventKey", "Location_X", "Location_Y", "Latitude", "Longitude", "MediaId", "Encrypt"]
)
FIELD_VALUES = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["text", "event", "image", "voice", "location", "link", "subscribe",
                     "LOCATION", "SCAN", "qrscene_", "1763862000", "-1", "nan", "1e999",
                     "999999999999", "٣"]),
    st.integers(min_value=0, max_value=10**20).map(str),
)


@settings(max_examples=200, deadline=None)
@given(fields=st.dictionaries(FIELD_NAMES, FIELD_VALUES, max_size=10))
def test_arbitrary_pushes_give_messages_or_payload_error(fields: dict[str, str]) -> None:
    from bot.adapters.wechat.xml import write_fields

    adapter = make_adapter_for_property()
    try:
        body = write_fields(dict(fields)).encode("utf-8", errors="surrogatepass")
        messages = adapter.parse(inbound({}, body))
    except PayloadError:
        return
    assert len(messages) == 1 and messages[0].user_id == fields["FromUserName"].strip()


_PROPERTY_STORE: list[Store] = []


def make_adapter_for_property() -> WeChatAdapter:
    """One adapter for every example (hypothesis does not mix with function fixtures)."""
    if not _PROPERTY_STORE:
        _PROPERTY_STORE.append(open_store(":memory:"))
    return make_adapter(_PROPERTY_STORE[0], "compatible")


def test_reading_ignores_nested_elements_and_keeps_first_value() -> None:
    fields = read_fields(b"<xml><A>1</A><A>2</A><B><C>deep</C>top</B></xml>")
    assert fields == {"A": "1", "B": "top"}


def test_our_cipher_and_wechatpy_agree() -> None:
    from wechatpy.crypto import WeChatCrypto

    cipher = MessageCipher(AES_KEY, APP_ID)
    xml = fixture("text")
    assert cipher.decrypt(encrypt(xml)).decode() == xml
    reference = WeChatCrypto(TOKEN, AES_KEY, APP_ID)
    encrypted = cipher.encrypt(xml)
    envelope = f"<xml><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"
    signature = sha1(TOKEN, "1", "2", encrypted)
    assert reference.decrypt_message(envelope, signature, "1", "2") == xml
    with pytest.raises(CryptoError):
        MessageCipher(AES_KEY, "wx_other").decrypt(encrypted)
    with pytest.raises(CryptoError):
        cipher.decrypt(encrypted[:-8] + "AAAAAAA=")
    with pytest.raises(CryptoError):
        cipher.decrypt("not base64!")


def test_aes_key_must_be_43_base64_characters() -> None:
    assert len(decode_aes_key(AES_KEY)) == 32
    for bad in (AES_KEY[:42], AES_KEY[:42] + "!", ""):
        with pytest.raises(ValueError):
            decode_aes_key(bad)


def _passive_xml(adapter: WeChatAdapter, answer_body: str) -> dict[str, str]:
    envelope = read_fields(answer_body.encode())
    xml = decrypt_reply(answer_body, envelope["TimeStamp"], envelope["Nonce"],
                        envelope["MsgSignature"])
    return read_fields(xml.encode())


def test_passive_render_in_safe_mode_is_an_encrypted_text_reply(store: Store) -> None:
    adapter = make_adapter(store)
    inbound_message = adapter.parse(inbound(*push(fixture("text"), "safe")))[0]
    buttons = (Button("a", "几天能到"), Button("b", "运费多少"))
    replies = [Reply("发货很快 ]]> 放心", buttons=buttons), Reply("第二条")]
    rendered = adapter.render(inbound_message, replies, passive=True)
    assert rendered.answer.content_type == "application/xml"
    fields = _passive_xml(adapter, str(rendered.answer.body))
    assert fields["ToUserName"] == OPENID and fields["FromUserName"] == ACCOUNT
    assert fields["MsgType"] == "text"
    assert fields["Content"] == "发货很快 ]]> 放心\n1. 几天能到\n2. 运费多少"
    assert [request.body for request in rendered.outbound] == [
        {"touser": OPENID, "msgtype": "text", "text": {"content": "第二条"}}
    ]
    assert rendered.outbound[0].path == "/cgi-bin/message/custom/send"


def test_passive_render_in_plain_mode_is_plain_xml(store: Store) -> None:
    adapter = make_adapter(store, "plain")
    inbound_message = adapter.parse(inbound(*push(fixture("click"), "plain")))[0]
    rendered = adapter.render(inbound_message, [Reply("菜单")], passive=True)
    fields = read_fields(str(rendered.answer.body).encode())
    assert (fields["Content"], fields["ToUserName"], rendered.outbound) == ("菜单", OPENID, ())


def test_long_text_is_split_within_2048_bytes(store: Store) -> None:
    adapter = make_adapter(store, "plain")
    inbound_message = adapter.parse(inbound(*push(fixture("text"), "plain")))[0]
    text = "\n".join(f"第{index}行：明前龙井的冲泡水温八十度左右。" for index in range(300))
    rendered = adapter.render(inbound_message, [Reply(text)], passive=True)
    first = read_fields(str(rendered.answer.body).encode())["Content"]
    rest = [request.body["text"]["content"] for request in rendered.outbound]
    assert rest and all(len(part.encode()) <= 2048 for part in [first, *rest])
    assert "\n".join([first, *rest]) == text


def test_render_without_passive_answers_success_and_sends_everything(store: Store) -> None:
    adapter = make_adapter(store)
    inbound_message = adapter.parse(inbound(*push(fixture("text"), "safe")))[0]
    rendered = adapter.render(inbound_message, [Reply("一"), Reply("二")], passive=False)
    assert rendered.answer.body == "success"
    assert [request.body["text"]["content"] for request in rendered.outbound] == ["一", "二"]


def test_config_reads_and_checks_the_table(make_config: Callable[..., Config]) -> None:
    config = make_config(platforms={"wechat": platform_table("safe", "http://127.0.0.1:1")},
                         env=ENV)
    settings = config.platforms["wechat"]
    assert (settings.token, settings.aes_key, settings.reply_budget_seconds) == (
        TOKEN, AES_KEY, 3.0)
    assert TOKEN not in repr(settings) and APP_SECRET not in repr(settings)
    with pytest.raises(ConfigError) as caught:
        make_config(platforms={"wechat": platform_table(
            "safe", "x", app_id="", reply_budget_seconds=5, colour="red")},
            env={**ENV, "WECHAT_AES_KEY": "short", "WECHAT_APP_SECRET": ""})
    problems = "\n".join(caught.value.problems)
    for expected in ("wechat.app_id", "wechat.aes_key_env: the EncodingAESKey must be 43",
                     "wechat.reply_budget_seconds", "wechat.app_secret_env", "wechat.colour"):
        assert expected in problems
    plain = make_config(platforms={"wechat": platform_table("plain", "x", aes_key_env="")},
                        env=ENV)
    assert plain.platforms["wechat"].aes_key == ""


SIGNED_QUERY, SIGNED_BODY = push(fixture("text"), "safe")


@settings(max_examples=200, deadline=None)
@given(position=st.integers(min_value=0, max_value=len(SIGNED_BODY) - 1),
       replacement=st.integers(min_value=0, max_value=255))
def test_verify_rejects_any_changed_ciphertext_byte(position: int, replacement: int) -> None:
    start = SIGNED_BODY.index(b"<Encrypt><![CDATA[") + len(b"<Encrypt><![CDATA[")
    end = SIGNED_BODY.index(b"]]></Encrypt>")
    adapter = make_adapter_for_property()
    adapter.verify(inbound(SIGNED_QUERY, SIGNED_BODY))
    index = start + position % (end - start)
    if SIGNED_BODY[index] == replacement:
        return
    changed = SIGNED_BODY[:index] + bytes([replacement]) + SIGNED_BODY[index + 1:]
    with pytest.raises(SignatureError):
        adapter.verify(inbound(SIGNED_QUERY, changed))


@settings(max_examples=200, deadline=None)
@given(body=st.one_of(
    st.binary(max_size=400),
    st.text(max_size=200).map(lambda value: f"<xml><Encrypt>{value}</Encrypt></xml>".encode()),
))
def test_signed_query_with_arbitrary_body_is_refused_cleanly(body: bytes) -> None:
    """Whatever the body, verify and parse end in a message or one of our two errors."""
    adapter = make_adapter_for_property()
    request = inbound(SIGNED_QUERY, body)
    try:
        adapter.verify(request)
        assert all(isinstance(item, Message) for item in adapter.parse(request))
    except (SignatureError, PayloadError):
        return
