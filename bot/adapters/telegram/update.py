"""Telegram updates (Bot API JSON) normalised into Messages; a pure function of the update."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.core.errors import PayloadError
from bot.core.language import ENGLISH, HANS, HANT
from bot.core.message import Event, Location, Media, Message, MessageKind
from bot.core.payload import (
    check_json,
    decode_json,
    integer,
    json_object,
    number,
    optional_object,
    string,
    unix_time,
)

NAME = "telegram"
# What we ask Telegram to send (setWebhook and getUpdates); channel posts are not for us.
ALLOWED_UPDATES = ("message", "edited_message", "callback_query", "my_chat_member")
# Message fields that mark a service message: something that happened in the chat, not
# something the customer said (Bot API "Message"; docs/platforms.md §2.2). They become silent
# events named telegram.<field>.
SERVICE_FIELDS = (
    "new_chat_members", "left_chat_member", "new_chat_title", "new_chat_photo",
    "delete_chat_photo", "group_chat_created", "supergroup_chat_created",
    "channel_chat_created", "message_auto_delete_timer_changed", "migrate_to_chat_id",
    "migrate_from_chat_id", "pinned_message", "invoice", "successful_payment",
    "refunded_payment", "users_shared", "chat_shared", "gift", "unique_gift",
    "connected_website", "write_access_allowed", "passport_data", "proximity_alert_triggered",
    "boost_added", "chat_background_set", "checklist_tasks_done", "checklist_tasks_added",
    "direct_message_price_changed", "forum_topic_created", "forum_topic_edited",
    "forum_topic_closed", "forum_topic_reopened", "general_forum_topic_hidden",
    "general_forum_topic_unhidden", "giveaway_created", "giveaway", "giveaway_winners",
    "giveaway_completed", "paid_message_price_changed", "video_chat_scheduled",
    "video_chat_started", "video_chat_ended", "video_chat_participants_invited",
    "suggested_post_approved", "suggested_post_approval_failed", "suggested_post_declined",
    "suggested_post_paid", "suggested_post_refunded", "web_app_data",
)
# Media fields of a Message and the kind each becomes; the first one present wins.
MEDIA_KINDS = (
    ("photo", MessageKind.IMAGE),
    ("sticker", MessageKind.STICKER),
    ("voice", MessageKind.VOICE),
    ("audio", MessageKind.FILE),
    ("video", MessageKind.VIDEO),
    ("video_note", MessageKind.VIDEO),
    ("animation", MessageKind.VIDEO),
    ("document", MessageKind.FILE),
)


def parse_body(body: bytes, *, bot_username: str, now: datetime) -> list[Message]:
    """The messages in a webhook body; PayloadError if it is not an update at all."""
    return parse_update(decode_json(body), bot_username=bot_username, now=now)


def parse_update(data: Any, *, bot_username: str, now: datetime) -> list[Message]:
    """The messages one update carries ([] for kinds we ignore, such as channel posts)."""
    check_json(data, "update")
    update = json_object(data, "update")
    try:
        # The raw update is stored: lone surrogates (possible in JSON escapes) cannot be.
        json.dumps(update, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise PayloadError("update holds invalid unicode") from None
    update_id = integer(update, "update_id", "update")
    reader = _UpdateReader(str(update_id), update, bot_username.lstrip("@").casefold(), now)
    if "message" in update:
        return reader.message(json_object(update["message"], "message"))
    if "edited_message" in update:
        return reader.message(json_object(update["edited_message"], "edited_message"), edit=True)
    if "callback_query" in update:
        return reader.callback(json_object(update["callback_query"], "callback_query"))
    if "my_chat_member" in update:
        return reader.membership(json_object(update["my_chat_member"], "my_chat_member"))
    # channel_post, edited_channel_post, inline queries, polls, reactions, business and
    # payment updates: not a customer talking to us (docs/platforms.md §2.2). 200, ignored.
    return []


class _UpdateReader:
    """Reads the parts of one update; every malformed field becomes a PayloadError."""

    def __init__(self, key: str, raw: dict[str, Any], bot_username: str, now: datetime) -> None:
        self.key = key
        self.raw = raw
        self.bot_username = bot_username
        self.now = now

    def message(self, message: dict[str, Any], *, edit: bool = False) -> list[Message]:
        chat = json_object(message.get("chat"), "message.chat")
        chat_id = str(integer(chat, "id", "chat"))
        chat_type = string(chat, "type")
        sender = optional_object(message, "from")
        if sender is None or chat_type == "channel":
            return []
        source_id = f"{chat_id}:{integer(message, 'message_id', 'message')}"
        when = integer(message, "edit_date" if edit and "edit_date" in message else "date",
                        "message")
        text, entities = _text_and_entities(message)
        fields: dict[str, Any] = {"language": language_of(string(sender, "language_code"))}
        if "media_group_id" in message:
            fields["group_id"] = f"{chat_id}:{string(message, 'media_group_id')}"
        kind, command = _kind(message, text, entities, fields)
        text = fields.pop("text", text)
        is_private = chat_type == "private"
        if not is_private:
            addressed, text = self._addressed(message, text, entities, command)
            if not addressed:
                return []
        if command is not None:
            text = command.text
            if command.name == "/start":
                kind = MessageKind.EVENT
                fields.update(event=Event.START, payload=command.arguments or None)
        reply = optional_object(message, "reply_to_message")
        return [
            Message(
                platform=NAME,
                message_id=self.key,
                user_id=str(integer(sender, "id", "from")),
                chat_id=chat_id,
                kind=kind,
                text=text,
                received_at=unix_time(when),
                is_private=is_private,
                account=self.bot_username,
                display_name=_display_name(sender),
                reply_to=f"{chat_id}:{integer(reply, 'message_id', 'reply')}" if reply else None,
                source_id=source_id,
                edit_of=source_id if edit else None,
                raw=self.raw,
                **fields,
            )
        ]

    def _addressed(
        self, message: dict[str, Any], text: str, entities: list[_Entity],
        command: _Command | None,
    ) -> tuple[bool, str]:
        """Whether a group message is meant for us, and its text without our @mention.

        In privacy mode Telegram only sends /cmd@bot and replies to the bot; with it off
        everything arrives, so a plain message must mention us (docs/platforms.md §2.2).
        """
        if not self.bot_username:
            return False, text
        if command is not None and command.target:
            return command.target.casefold() == self.bot_username, text
        for entity in entities:
            mention = _utf16_slice(text, entity.offset, entity.length)
            if entity.kind == "mention" and mention.casefold() == "@" + self.bot_username:
                before = _utf16_slice(text, 0, entity.offset)
                after = _utf16_slice(text, entity.offset + entity.length, None)
                return True, " ".join(f"{before} {after}".split())
        reply = optional_object(message, "reply_to_message")
        author = optional_object(reply, "from") if reply else None
        if author is not None and string(author, "username").casefold() == self.bot_username:
            return True, text
        return False, text

    def callback(self, query: dict[str, Any]) -> list[Message]:
        sender = json_object(query.get("from"), "callback_query.from")
        user_id = str(integer(sender, "id", "from"))
        string(query, "id", required=True)
        data = string(query, "data")
        if not data:
            return []  # game buttons carry no data: nothing of ours was pressed
        message = optional_object(query, "message")
        chat_id, is_private, reply_to, title = user_id, True, None, ""
        if message is not None:
            chat = json_object(message.get("chat"), "message.chat")
            chat_id = str(integer(chat, "id", "chat"))
            is_private = string(chat, "type") == "private"
            reply_to = f"{chat_id}:{integer(message, 'message_id', 'message')}"
            title = _button_title(message, data)
        return [
            Message(
                platform=NAME,
                message_id=self.key,
                user_id=user_id,
                chat_id=chat_id,
                kind=MessageKind.BUTTON,
                text=title,
                payload=data,
                received_at=self.now,
                is_private=is_private,
                account=self.bot_username,
                display_name=_display_name(sender),
                reply_to=reply_to,
                language=language_of(string(sender, "language_code")),
                raw=self.raw,
            )
        ]

    def membership(self, change: dict[str, Any]) -> list[Message]:
        chat = json_object(change.get("chat"), "my_chat_member.chat")
        if string(chat, "type") != "private":
            return []  # the bot joined or left a group: no customer to mark
        sender = json_object(change.get("from"), "my_chat_member.from")
        old = string(json_object(change.get("old_chat_member"), "old_chat_member"), "status")
        new = string(json_object(change.get("new_chat_member"), "new_chat_member"), "status")
        if new == "kicked":
            event = Event.BLOCKED
        elif old == "kicked":
            event = Event.UNBLOCKED
        else:
            return []
        return [
            Message(
                platform=NAME,
                message_id=self.key,
                user_id=str(integer(sender, "id", "from")),
                chat_id=str(integer(chat, "id", "chat")),
                kind=MessageKind.EVENT,
                event=event,
                received_at=unix_time(integer(change, "date", "my_chat_member")),
                account=self.bot_username,
                display_name=_display_name(sender),
                language=language_of(string(sender, "language_code")),
                raw=self.raw,
            )
        ]


@dataclass(frozen=True, slots=True)
class _Entity:
    """A MessageEntity: offsets and lengths are UTF-16 code units (docs/platforms.md §2.2)."""

    kind: str
    offset: int
    length: int


@dataclass(frozen=True, slots=True)
class _Command:
    """A leading /command: its name, what follows it, and the @bot it names (or "")."""

    name: str
    arguments: str
    target: str

    @property
    def text(self) -> str:
        """The command as `/name arguments`, without any @bot suffix."""
        return f"{self.name} {self.arguments}" if self.arguments else self.name


def _kind(
    message: dict[str, Any], text: str, entities: list[_Entity], fields: dict[str, Any]
) -> tuple[MessageKind, _Command | None]:
    """The message's kind and command, filling `fields` with its media, location or event."""
    service = next((key for key in SERVICE_FIELDS if key in message), None)
    if service == "web_app_data":
        question = _web_app_question(message)
        if question:
            fields["text"] = question
            return MessageKind.TEXT, None
    if service is not None:
        fields["event"] = f"{NAME}.{service}"
        return MessageKind.EVENT, None
    for key, kind in MEDIA_KINDS:
        if key in message:
            fields["media"] = _media(message[key], key)
            return kind, None
    if "location" in message:
        fields["location"] = _location(message)
        return MessageKind.LOCATION, None
    if "text" not in message:
        # Contacts, polls, dice, games, service messages: nothing we can answer.
        return MessageKind.UNSUPPORTED, None
    command = _command(text, entities)
    return (MessageKind.COMMAND, command) if command else (MessageKind.TEXT, None)


def _web_app_question(message: dict[str, Any]) -> str:
    """What a Web App sent, when it is words a person typed rather than data for the bot."""
    data = string(json_object(message["web_app_data"], "web_app_data"), "data").strip()
    if not data or data[0] in "{[" or not any(char.isalpha() for char in data):
        return ""
    return data


def language_of(code: str) -> str:
    """Our language for a Telegram `language_code` (IETF tag): zh-Hant, zh-Hans, en or ""."""
    tag = code.strip().casefold().replace("_", "-")
    if not tag:
        return ""
    if tag in ("zh-hant", "zh-tw", "zh-hk", "zh-mo") or tag.startswith("zh-hant"):
        return HANT
    if tag == "zh" or tag.startswith("zh-"):
        return HANS
    # The bot speaks Chinese and English; English is the better guess for everyone else.
    return ENGLISH


def _text_and_entities(message: dict[str, Any]) -> tuple[str, list[_Entity]]:
    key = "text" if "text" in message else "caption"
    text = string(message, key)
    items = message.get("entities" if key == "text" else "caption_entities", [])
    if not isinstance(items, list):
        raise PayloadError("entities must be a list")
    entities = []
    for item in items:
        entity = json_object(item, "entity")
        offset = integer(entity, "offset", "entity")
        length = integer(entity, "length", "entity")
        if offset < 0 or length < 0:
            raise PayloadError("entity offsets must not be negative")
        entities.append(_Entity(string(entity, "type"), offset, length))
    return text, entities


def _command(text: str, entities: list[_Entity]) -> _Command | None:
    """The command a message starts with, if its first entity says so."""
    first = next((e for e in entities if e.kind == "bot_command" and e.offset == 0), None)
    if first is None:
        return None
    word = _utf16_slice(text, 0, first.length)
    name, _, target = word.partition("@")
    arguments = _utf16_slice(text, first.length, None).strip()
    return _Command(name, arguments, target)


def _utf16_slice(text: str, start: int, length: int | None) -> str:
    """`text[start:start+length]` counted in UTF-16 code units, as Telegram counts."""
    units = text.encode("utf-16-le", "surrogatepass")
    end = None if length is None else 2 * (start + length)
    return units[2 * start : end].decode("utf-16-le", "replace")


def _button_title(message: dict[str, Any], data: str) -> str:
    """The title of the pressed button, read from the keyboard it was pressed on."""
    markup = optional_object(message, "reply_markup") or {}
    rows = markup.get("inline_keyboard", [])
    for row in rows if isinstance(rows, list) else []:
        for button in row if isinstance(row, list) else []:
            if isinstance(button, dict) and button.get("callback_data") == data:
                title = button.get("text")
                return title if isinstance(title, str) else ""
    return ""


def _media(value: Any, key: str) -> Media:
    if key == "photo":
        # Sizes come smallest first; keep the largest.
        if not isinstance(value, list) or not value:
            raise PayloadError("photo must be a non-empty list")
        value = value[-1]
    item = json_object(value, key)
    return Media(
        media_id=string(item, "file_id", required=True),
        mime_type=string(item, "mime_type"),
        filename=string(item, "file_name"),
    )


def _location(message: dict[str, Any]) -> Location:
    point = json_object(message["location"], "location")
    venue = optional_object(message, "venue")
    label = " ".join(
        part for part in (string(venue, "title"), string(venue, "address")) if part
    ) if venue else ""
    return Location(number(point, "latitude"), number(point, "longitude"), label)


def _display_name(user: dict[str, Any]) -> str:
    return " ".join(
        part for part in (string(user, "first_name"), string(user, "last_name")) if part
    )
