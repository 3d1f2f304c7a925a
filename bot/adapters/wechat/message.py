"""WeChat push fields (docs/platforms.md §1.3–1.4) normalised into one Message."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from bot.core.errors import PayloadError
from bot.core.message import Event, Location, Media, Message, MessageKind

NAME = "wechat"
SCENE_PREFIX = "qrscene_"
MAX_UNIX_TIME = 253402300799  # 9999-12-31T23:59:59Z, the last second datetime can hold

EVENTS = {
    "subscribe": Event.FOLLOW,
    "unsubscribe": Event.UNFOLLOW,
    "scan": Event.SCAN,
    "click": Event.MENU_CLICK,
    "view": Event.MENU_VIEW,
    "location": Event.LOCATION_REPORT,
}


def _required(fields: Mapping[str, str], name: str) -> str:
    value = fields.get(name, "").strip()
    if not value:
        raise PayloadError(f"{name} is missing")
    return value


def _coordinate(fields: Mapping[str, str], name: str, limit: float) -> float:
    try:
        value = float(_required(fields, name))
    except ValueError:
        raise PayloadError(f"{name} is not a number") from None
    if not math.isfinite(value) or abs(value) > limit:
        raise PayloadError(f"{name} is out of range")
    return value


def _location(fields: Mapping[str, str], latitude: str, longitude: str) -> Location:
    return Location(
        latitude=_coordinate(fields, latitude, 90.0),
        longitude=_coordinate(fields, longitude, 180.0),
        label=fields.get("Label", ""),
    )


def parse_fields(fields: Mapping[str, str], raw: Mapping[str, Any]) -> Message:
    """One push as a Message; PayloadError when the common fields are missing or malformed."""
    user_id = _required(fields, "FromUserName")
    account = _required(fields, "ToUserName")
    kind_name = _required(fields, "MsgType").lower()
    created = _required(fields, "CreateTime")
    # isascii: str.isdigit also accepts other scripts' digits, which int() would then read.
    if not (created.isascii() and created.isdigit()) or int(created) > MAX_UNIX_TIME:
        raise PayloadError("CreateTime is not a unix time")
    common: dict[str, Any] = {
        "platform": NAME,
        "user_id": user_id,
        "chat_id": user_id,
        "account": account,
        "received_at": datetime.fromtimestamp(int(created), UTC),
        "raw": raw,
    }
    if kind_name == "event":
        return _event(fields, common, f"{user_id}:{created}")
    message_id = fields.get("MsgId", "").strip() or f"{user_id}:{created}:{kind_name}"
    common["message_id"] = message_id
    common["source_id"] = message_id
    media_id = fields.get("MediaId", "")
    if kind_name == "text":
        return Message(kind=MessageKind.TEXT, text=fields.get("Content", ""), **common)
    if kind_name == "image":
        media = Media(media_id=media_id, url=fields.get("PicUrl", ""))
        return Message(kind=MessageKind.IMAGE, media=media, **common)
    if kind_name == "voice":
        audio = fields.get("Format", "").lower()
        media = Media(media_id=media_id, mime_type=f"audio/{audio}" if audio else "")
        text = fields.get("Recognition", "").strip()
        return Message(kind=MessageKind.VOICE, text=text, media=media, **common)
    if kind_name in ("video", "shortvideo"):
        return Message(kind=MessageKind.VIDEO, media=Media(media_id=media_id), **common)
    if kind_name == "location":
        location = _location(fields, "Location_X", "Location_Y")
        return Message(kind=MessageKind.LOCATION, location=location, **common)
    if kind_name == "link":
        return Message(
            kind=MessageKind.LINK, text=fields.get("Title", ""), payload=fields.get("Url", ""),
            **common,
        )
    return Message(kind=MessageKind.UNSUPPORTED, **common)


def _event(fields: Mapping[str, str], common: dict[str, Any], sender_time: str) -> Message:
    name = _required(fields, "Event")
    # Events carry no MsgId: WeChat's own advice is FromUserName + CreateTime (+ Event).
    common["message_id"] = f"{sender_time}:{name}"
    event = EVENTS.get(name.lower())
    key = fields.get("EventKey", "").strip()
    if event is Event.FOLLOW:
        scene = key.removeprefix(SCENE_PREFIX) if key.startswith(SCENE_PREFIX) else ""
        return Message(kind=MessageKind.EVENT, event=event, payload=scene or None, **common)
    if event is Event.LOCATION_REPORT:
        location = _location(fields, "Latitude", "Longitude")
        return Message(kind=MessageKind.EVENT, event=event, location=location, **common)
    if event in (Event.SCAN, Event.MENU_CLICK, Event.MENU_VIEW):
        return Message(kind=MessageKind.EVENT, event=event, payload=key or None, **common)
    if event is Event.UNFOLLOW:
        return Message(kind=MessageKind.EVENT, event=event, **common)
    # An event we do not know (template job reports, scan-code menus …) is not something
    # the customer said: keep it as an event under its own name so nobody is answered.
    return Message(kind=MessageKind.EVENT, event=f"wechat.{name.lower()}", payload=key or None,
                   **common)
