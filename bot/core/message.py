"""The one message model: what every platform's input and output becomes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from enum import StrEnum
from typing import Any

from bot.core.clock import utc_now

# The web chat's identities are ids a browser is handed for the asking: no platform vouches
# for them, so what a scripted farmer could mint by the thousand (points, staff roles) is
# not given to them.
WEB_PLATFORM = "web"


class MessageKind(StrEnum):
    """What a customer sent."""

    TEXT = "text"
    COMMAND = "command"
    BUTTON = "button"
    IMAGE = "image"
    VOICE = "voice"
    VIDEO = "video"
    FILE = "file"
    STICKER = "sticker"
    LOCATION = "location"
    LINK = "link"
    REACTION = "reaction"
    EVENT = "event"
    UNSUPPORTED = "unsupported"


class Event(StrEnum):
    """Names of the platform events a message of kind EVENT can carry."""

    FOLLOW = "follow"
    UNFOLLOW = "unfollow"
    START = "start"
    SCAN = "scan"
    MENU_CLICK = "menu_click"
    MENU_VIEW = "menu_view"
    BLOCKED = "blocked"
    UNBLOCKED = "unblocked"
    LOCATION_REPORT = "location_report"
    # The customer's platform identity changed (WhatsApp: a new number); payload: the new id.
    IDENTITY_CHANGED = "identity_changed"
    # The customer deleted a message they sent; payload: its platform id. No reply.
    MESSAGE_DELETED = "message_deleted"


@dataclass(frozen=True, slots=True)
class Location:
    """A point the customer shared."""

    latitude: float
    longitude: float
    label: str = ""


@dataclass(frozen=True, slots=True)
class Media:
    """An attachment the customer sent, by the platform's own media id."""

    media_id: str
    url: str = ""
    mime_type: str = ""
    filename: str = ""


@dataclass(frozen=True, slots=True)
class Message:
    """One inbound message or event, normalised from any platform."""

    platform: str
    message_id: str  # the platform's delivery key, used for dedupe
    user_id: str
    chat_id: str
    kind: MessageKind
    text: str = ""
    event: str | None = None
    payload: str | None = None  # button id, menu key, referral scene, deep-link payload
    received_at: datetime = field(default_factory=utc_now)
    is_private: bool = True
    account: str = ""  # which of the brand's accounts was addressed
    display_name: str = ""
    location: Location | None = None
    media: Media | None = None
    reply_to: str | None = None  # the platform id of the message this one answers
    source_id: str = ""  # the platform's own message id, when it differs from message_id
    edit_of: str | None = None  # for an edit: the source_id of the message it changes
    # Where it came from when no platform vouches for the sender (a web visitor's address):
    # limits against guessing count by this, which a browser cannot change for free.
    origin: str = ""
    # The language the platform says the sender uses (Telegram's language_code, a WhatsApp
    # number's country): zh-Hans, zh-Hant, en or "" when it says nothing.
    language: str = ""
    # Parts of one customer turn sent as several messages (a Telegram album) share this id.
    group_id: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def sender(self) -> tuple[str, str]:
        """The sender's platform identity: (platform, user_id)."""
        return (self.platform, self.user_id)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able data, for the delivery record."""
        data = {name: getattr(self, name) for name in _MESSAGE_FIELDS}
        data["kind"] = self.kind.value
        data["received_at"] = self.received_at.isoformat()
        data["location"] = asdict(self.location) if self.location else None
        data["media"] = asdict(self.media) if self.media else None
        data["raw"] = dict(self.raw)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Message:
        """Rebuild a message stored with `to_dict`."""
        values = {name: data[name] for name in _MESSAGE_FIELDS if name in data}
        values["kind"] = MessageKind(data["kind"])
        values["received_at"] = datetime.fromisoformat(data["received_at"])
        values["location"] = Location(**data["location"]) if data.get("location") else None
        values["media"] = Media(**data["media"]) if data.get("media") else None
        values["raw"] = data.get("raw") or {}
        return cls(**values)


_MESSAGE_FIELDS = tuple(f.name for f in fields(Message))


@dataclass(frozen=True, slots=True)
class Button:
    """A choice offered under a reply; `id` comes back as the payload when pressed."""

    id: str
    title: str


@dataclass(frozen=True, slots=True)
class Address:
    """Where a reply goes when it is not for the sender of the message."""

    platform: str
    chat_id: str
    user_id: str = ""


class NoticeKind(StrEnum):
    """What a message sent on our own initiative is about: platforms' approved messages
    (WhatsApp templates, WeChat template and subscribe messages) are configured per kind."""

    ORDER_PAID = "order_paid"
    ORDER_SHIPPED = "order_shipped"
    ORDER_DELIVERED = "order_delivered"
    ORDER_REFUNDED = "order_refunded"
    ORDER_CANCELLED = "order_cancelled"
    POINTS_EXPIRING = "points_expiring"


# The fields each kind of notice carries, for the placeholders of its templates.
ORDER_FIELDS = ("number", "status", "carrier", "tracking", "expected_on")
NOTICE_FIELDS: Mapping[NoticeKind, tuple[str, ...]] = {
    **{kind: ORDER_FIELDS for kind in NoticeKind if kind.value.startswith("order_")},
    NoticeKind.POINTS_EXPIRING: ("points", "date", "balance"),
}


@dataclass(frozen=True, slots=True)
class Notice:
    """The meaning of a message the bot sends on its own (an order shipped, points expiring),
    so that a platform can say it with its own approved template outside its window."""

    kind: NoticeKind
    fields: Mapping[str, str] = field(default_factory=dict)
    language: str = ""  # the language the customer reads

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able data."""
        return {"kind": self.kind.value, "fields": dict(self.fields), "language": self.language}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Notice:
        """Rebuild a notice stored with `to_dict`."""
        return cls(
            NoticeKind(data["kind"]),
            {str(key): str(value) for key, value in (data.get("fields") or {}).items()},
            str(data.get("language", "")),
        )


@dataclass(frozen=True, slots=True)
class Reply:
    """One answer, neutral of platform; adapters render it."""

    text: str = ""
    buttons: tuple[Button, ...] = ()
    image_url: str | None = None
    link_url: str | None = None
    link_title: str | None = None
    to: Address | None = None  # None: back to the sender
    notice: Notice | None = None  # what it means, for platforms' templates

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape used by the web chat and the stored log."""
        data: dict[str, Any] = {
            "text": self.text,
            "buttons": [{"id": button.id, "title": button.title} for button in self.buttons],
        }
        if self.image_url:
            data["image_url"] = self.image_url
        if self.link_url:
            data["link"] = {"url": self.link_url, "title": self.link_title or self.link_url}
        if self.notice is not None:
            data["notice"] = self.notice.to_dict()
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Reply:
        """Rebuild a reply stored with `to_dict`."""
        link = data.get("link") or {}
        return cls(
            text=str(data.get("text", "")),
            buttons=tuple(Button(str(b["id"]), str(b["title"])) for b in data.get("buttons", [])),
            image_url=data.get("image_url"),
            link_url=link.get("url"),
            link_title=link.get("title"),
            notice=Notice.from_dict(data["notice"]) if data.get("notice") else None,
        )


@dataclass(frozen=True, slots=True)
class Identity:
    """One account of a customer on one platform."""

    platform: str
    user_id: str


@dataclass(frozen=True, slots=True)
class Customer:
    """One person, with every platform identity linked to them."""

    id: str
    identities: tuple[Identity, ...]
    display_name: str = ""
    language: str = "zh-Hans"
    created_at: datetime = field(default_factory=utc_now)
    blocked: bool = False
