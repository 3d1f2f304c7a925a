"""Every Telegram fixture parsed to whole expected Messages; the parser never fails open."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.adapters.telegram.update import language_of, parse_body, parse_update
from bot.core.errors import PayloadError
from bot.core.message import Event, Location, Media, Message, MessageKind
from tests.helpers.paths import FIXTURES as ALL_FIXTURES

FIXTURES = ALL_FIXTURES / "telegram"
BOT = "cloudleaf_bot"
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
# language_code "zh-hans" and "en": the language of the first reply before a word is typed.
LIN = {"user_id": "5012345678", "chat_id": "5012345678", "display_name": "Lin Mei",
       "language": "zh-Hans"}
SAM = {"user_id": "6023456789", "display_name": "Sam", "language": "en"}
GROUP = "-1001987654321"


def at(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def telegram(update_id: int, kind: MessageKind, **fields: Any) -> Message:
    """An expected message with the defaults every Telegram message shares."""
    values: dict[str, Any] = {
        "platform": "telegram", "message_id": str(update_id), "kind": kind,
        "received_at": at(1763890000), "account": BOT, **fields,
    }
    return Message(**values)


EXPECTED: dict[str, list[Message]] = {
    "text_private": [
        telegram(830001001, MessageKind.TEXT, text="多久发货？", source_id="5012345678:101", **LIN)
    ],
    "start_deep_link": [
        telegram(830001002, MessageKind.EVENT, text="/start ref_c1a2b3", event=Event.START,
                 payload="ref_c1a2b3", source_id="5012345678:102", **LIN)
    ],
    "start_plain": [
        telegram(830001003, MessageKind.EVENT, text="/start", event=Event.START,
                 chat_id="6023456789", source_id="6023456789:103", **SAM)
    ],
    "command_with_args": [
        telegram(830001004, MessageKind.COMMAND, text="/order CL-20261101",
                 source_id="5012345678:104", **LIN)
    ],
    "group_command_for_us": [
        telegram(830001005, MessageKind.COMMAND, text="/help", chat_id=GROUP, is_private=False,
                 source_id=f"{GROUP}:2201", user_id="5012345678", display_name="Lin Mei",
                 language="zh-Hans")
    ],
    "group_command_for_other_bot": [],
    # The mention sits after two emoji (4 UTF-16 units, 2 Python characters).
    "group_mention_utf16": [
        telegram(830001007, MessageKind.TEXT, text="🍵🍵 乌龙茶怎么泡？", chat_id=GROUP,
                 is_private=False, source_id=f"{GROUP}:2203", **SAM)
    ],
    # In a forum topic: the topic's first message is what every message there replies to.
    "forum_topic_mention": [
        telegram(830001030, MessageKind.TEXT, text="how long does shipping take?",
                 chat_id=GROUP, is_private=False, source_id=f"{GROUP}:2310",
                 reply_to=f"{GROUP}:2288", **SAM)
    ],
    "group_reply_to_bot": [
        telegram(830001008, MessageKind.TEXT, text="运费多少", chat_id=GROUP, is_private=False,
                 source_id=f"{GROUP}:2204", reply_to=f"{GROUP}:2190", **SAM)
    ],
    "group_plain": [],
    "group_caption_mention": [
        telegram(830001025, MessageKind.IMAGE, text="这个茶具还有货吗", chat_id=GROUP,
                 is_private=False, source_id=f"{GROUP}:2206",
                 media=Media("AgACgroupphoto"), **SAM)
    ],
    "photo_caption": [
        telegram(830001010, MessageKind.IMAGE, text="收到的茶饼破了 @客服",
                 media=Media("AgACAgUAAxkBAAIBZ2large"), source_id="5012345678:105", **LIN)
    ],
    "sticker": [
        telegram(830001011, MessageKind.STICKER, media=Media("CAACAgIAAxkBAAIBaGsticker"),
                 source_id="5012345678:106", **LIN)
    ],
    "voice": [
        telegram(830001012, MessageKind.VOICE,
                 media=Media("AwACAgUAAxkBAAIBaWvoice", mime_type="audio/ogg"),
                 source_id="5012345678:107", **LIN)
    ],
    "video": [
        telegram(830001013, MessageKind.VIDEO, text="包装是这样的",
                 media=Media("BAACAgUAAxkBAAIBanvideo", mime_type="video/mp4"),
                 source_id="5012345678:108", **LIN)
    ],
    "document": [
        telegram(830001014, MessageKind.FILE,
                 media=Media("BQACAgUAAxkBAAIBa2document", mime_type="application/pdf",
                             filename="发票 invoice.pdf"),
                 source_id="5012345678:109", **LIN)
    ],
    "location": [
        telegram(830001015, MessageKind.LOCATION, location=Location(31.230416, 121.473701),
                 source_id="5012345678:110", **LIN)
    ],
    "venue": [
        telegram(830001016, MessageKind.LOCATION,
                 location=Location(30.25961, 120.13026, "云叶茶舍 西湖店 杭州市西湖区龙井路 1 号"),
                 source_id="5012345678:111", **LIN)
    ],
    "contact": [
        telegram(830001017, MessageKind.UNSUPPORTED, source_id="5012345678:112", **LIN)
    ],
    "callback_query": [
        telegram(830001018, MessageKind.BUTTON, text="多久发货？", payload="faq:shipping-time",
                 received_at=NOW, reply_to="5012345678:3001", **LIN)
    ],
    "edited_message": [
        telegram(830001019, MessageKind.TEXT, text="多久发货？我在上海",
                 received_at=at(1763890060), source_id="5012345678:101",
                 edit_of="5012345678:101", **LIN)
    ],
    "channel_post": [],
    "my_chat_member_blocked": [
        telegram(830001021, MessageKind.EVENT, event=Event.BLOCKED, received_at=at(1763890200),
                 **LIN)
    ],
    "my_chat_member_unblocked": [
        telegram(830001022, MessageKind.EVENT, event=Event.UNBLOCKED,
                 received_at=at(1763890300), **LIN)
    ],
    "my_chat_member_added_to_group": [],
    "message_reaction": [],
    # An album: two updates, one media_group_id (the pipeline answers the album once).
    "album_first_with_caption": [
        telegram(830001030, MessageKind.IMAGE, text="盖碗裂了怎么办",
                 media=Media("AgACalbum1large"), source_id="5012345678:120",
                 group_id="5012345678:13912345678901234", **LIN)
    ],
    "album_second": [
        telegram(830001031, MessageKind.IMAGE, media=Media("AgACalbum2large"),
                 source_id="5012345678:121", group_id="5012345678:13912345678901234", **LIN)
    ],
    # Service messages: events nobody answers.
    **{
        name: [telegram(update_id, MessageKind.EVENT, event=f"telegram.{field}",
                        source_id=f"5012345678:{number}", **LIN)]
        for name, update_id, number, field in (
            ("pinned_message", 830001032, 122, "pinned_message"),
            ("auto_delete_timer", 830001033, 123, "message_auto_delete_timer_changed"),
            ("chat_background_set", 830001034, 124, "chat_background_set"),
            ("gift", 830001035, 125, "gift"),
            ("successful_payment", 830001036, 126, "successful_payment"),
            ("users_shared", 830001037, 127, "users_shared"),
            ("chat_shared", 830001038, 128, "chat_shared"),
            ("web_app_data", 830001039, 129, "web_app_data"),
        )
    },
    # A Web App that sends words a person typed: a question like any other.
    "web_app_question": [
        telegram(830001040, MessageKind.TEXT, text="这款龙井什么时候发货？",
                 source_id="5012345678:130", **LIN)
    ],
    "callback_stale": [
        telegram(830001041, MessageKind.BUTTON, text="旧菜单", payload="menu:2024-spring",
                 received_at=NOW, reply_to="5012345678:2900", **LIN)
    ],
    "start_traditional": [
        telegram(830001042, MessageKind.EVENT, text="/start", event=Event.START,
                 user_id="7034567890", chat_id="7034567890", display_name="Ho",
                 source_id="7034567890:131", language="zh-Hant")
    ],
}


def fixture_names() -> list[str]:
    return sorted(path.stem for path in FIXTURES.glob("*.json"))


@pytest.mark.parametrize("name", fixture_names())
def test_fixture_parses_to_expected_messages(name: str) -> None:
    assert name in EXPECTED, f"fixture {name}.json has no expectation"
    body = (FIXTURES / f"{name}.json").read_bytes()
    messages = parse_body(body, bot_username=BOT, now=NOW)
    assert messages == EXPECTED[name]
    for message in messages:
        assert message.raw == json.loads(body)


def test_every_expectation_has_a_fixture() -> None:
    assert sorted(EXPECTED) == fixture_names()


@pytest.mark.parametrize(
    ("code", "language"),
    [("zh-hans", "zh-Hans"), ("zh-CN", "zh-Hans"), ("zh", "zh-Hans"), ("zh-hant", "zh-Hant"),
     ("zh-TW", "zh-Hant"), ("zh_HK", "zh-Hant"), ("en", "en"), ("en-GB", "en"), ("es", "en"),
     ("", "")],
)
def test_language_codes_become_our_languages(code: str, language: str) -> None:
    assert language_of(code) == language


def test_group_messages_are_ignored_without_a_bot_username() -> None:
    body = (FIXTURES / "group_mention_utf16.json").read_bytes()
    assert parse_body(body, bot_username="", now=NOW) == []


@pytest.mark.parametrize(
    "body",
    [b"", b"not json", b"[]", b'"text"', b"{}", b'{"update_id": "1"}', b'{"update_id": true}',
     b'{"update_id": 1, "message": []}', b'{"update_id": 1, "message": {"chat": 5}}',
     b'{"update_id": 1, "message": {"chat": {"id": 1, "type": "private"}, "from": {"id": 1},'
     b' "message_id": 1, "date": 99999999999999999}}',
     b'{"update_id": 1, "message": {"chat": {"id": 1, "type": "private"}, "from": {"id": 1},'
     b' "message_id": 1, "date": 1, "text": "\\ud800"}}',
     b"\xff\xfe"],
)
def test_bodies_that_are_not_updates_raise_payload_error(body: bytes) -> None:
    with pytest.raises(PayloadError):
        parse_body(body, bot_username=BOT, now=NOW)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=20,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a nested value of a JSON document."""
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found.extend(_paths(item, (*prefix, key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.extend(_paths(item, (*prefix, index)))
    return found


def _replace(document: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    copy = json.loads(json.dumps(document))
    target = copy
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = new
    return copy


@st.composite
def mutated_fixtures(draw: st.DrawFn) -> Any:
    """A real update with one nested value replaced by arbitrary JSON."""
    name = draw(st.sampled_from(fixture_names()))
    document = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    path = draw(st.sampled_from(_paths(document)))
    return _replace(document, path, draw(JSON))


def _parses_or_refuses(data: Any) -> None:
    try:
        messages = parse_update(data, bot_username=BOT, now=NOW)
    except PayloadError:
        return
    for message in messages:
        assert isinstance(message, Message)
        json.dumps(message.to_dict(), ensure_ascii=False).encode("utf-8")


@settings(max_examples=200, deadline=None)
@given(JSON)
def test_arbitrary_json_parses_or_raises_payload_error(data: Any) -> None:
    _parses_or_refuses(data)


@settings(max_examples=300, deadline=None)
@given(mutated_fixtures())
def test_mutated_real_updates_parse_or_raise_payload_error(data: Any) -> None:
    _parses_or_refuses(data)


@settings(max_examples=200, deadline=None)
@given(st.binary())
def test_arbitrary_bytes_parse_or_raise_payload_error(body: bytes) -> None:
    try:
        messages = parse_body(body, bot_username=BOT, now=NOW)
    except PayloadError:
        return
    assert all(isinstance(message, Message) for message in messages)
