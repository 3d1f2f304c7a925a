"""WhatsApp Cloud API webhook bodies as Messages and delivery Receipts, parsed by hand.

Every entry, change, message and status is read; contacts are paired with messages by
`wa_id == from` (or the business-scoped user id), never by position (docs/platforms.md §3.3).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bot.core.adapter import Receipt
from bot.core.errors import PayloadError
from bot.core.language import ENGLISH, HANS, HANT
from bot.core.message import Event, Location, Media, Message, MessageKind
from bot.core.payload import decode_json

log = logging.getLogger(__name__)

NAME = "whatsapp"
MEDIA_KINDS = {
    "image": MessageKind.IMAGE,
    "audio": MessageKind.VOICE,
    "video": MessageKind.VIDEO,
    "document": MessageKind.FILE,
    "sticker": MessageKind.STICKER,
}
# The language to greet a new customer in, by the country of their number (E.164 calling code)
# or of their business-scoped user id ("HK.1349…"); everyone else gets English.
CALLING_CODES = {"86": HANS, "852": HANT, "853": HANT, "886": HANT}
COUNTRIES = {"CN": HANS, "HK": HANT, "MO": HANT, "TW": HANT}
# system.type values of a changed number (the first is the 2026 name, the second the older one).
NUMBER_CHANGED = ("user_changed_number", "customer_changed_number")
USER_ID_CHANGED = "user_changed_user_id"
# A later report must not be undone by an earlier one that arrives after it.
LATER_STATES = {
    "sent": ("delivered", "read", "played", "failed"),
    "delivered": ("read", "played", "failed"),
    "read": ("played", "failed"),
    "played": ("failed",),
}


@dataclass(frozen=True, slots=True)
class Delivery:
    """Everything one webhook body carries."""

    messages: list[Message] = field(default_factory=list)
    receipts: list[Receipt] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _dicts(value: Any) -> list[dict[str, Any]]:
    """The objects of a JSON array; anything else (or a missing key) is empty."""
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str:
    """A string field; numbers are accepted (ids are strings, but be lenient)."""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return ""


def _received_at(value: Any, now: datetime) -> datetime:
    try:
        return datetime.fromtimestamp(int(_text(value)), UTC)
    except (ValueError, OverflowError, OSError):
        return now


def describe_error(error: Mapping[str, Any]) -> str:
    """One line for a WhatsApp error object: code, title, details."""
    details = _text(_object(error.get("error_data")).get("details"))
    words = [_text(error.get("code")), _text(error.get("title") or error.get("message"))]
    line = " ".join(word for word in words if word)
    return f"{line}: {details}" if details and details not in line else line


def load(body: bytes) -> dict[str, Any]:
    """The JSON object of a webhook body; PayloadError if it is not one."""
    data = decode_json(body)
    if not isinstance(data, dict) or not isinstance(data.get("entry"), list):
        raise PayloadError("body is not a WhatsApp notification (no entry list)")
    return data


def parse_delivery(body: bytes, now: datetime) -> Delivery:
    """All messages, receipts and errors of one webhook body received `now`."""
    delivery = Delivery()
    for entry in _dicts(load(body)["entry"]):
        for change in _dicts(entry.get("changes")):
            value = _object(change.get("value"))
            _read_value(value, delivery, now)
    return delivery


def _read_value(value: dict[str, Any], delivery: Delivery, now: datetime) -> None:
    account = _text(_object(value.get("metadata")).get("phone_number_id"))
    contacts = _dicts(value.get("contacts"))
    for item in _dicts(value.get("messages")):
        message = parse_message(item, contacts, account, now)
        if message is not None:
            delivery.messages.append(message)
    for status in _dicts(value.get("statuses")):
        receipt = parse_status(status)
        if receipt is not None:
            delivery.receipts.append(receipt)
    for error in _dicts(value.get("errors")):
        line = describe_error(error)
        delivery.errors.append(line)
        log.warning("whatsapp reports an error: %s", line)


def _contact(contacts: list[dict[str, Any]], phone: str, user_id: str) -> dict[str, Any]:
    """The contact describing the sender, matched by phone (wa_id) or by user_id.

    A message that names no sender at all belongs to the change's only contact when that
    contact has a business-scoped user id (Meta's username users, whose number is not shared):
    a contact with a number alone is too weak a sign to hand it someone's message.
    """
    for contact in contacts:
        if phone and _text(contact.get("wa_id")) == phone:
            return contact
    for contact in contacts:
        if user_id and _text(contact.get("user_id")) == user_id:
            return contact
    if not phone and not user_id and len(contacts) == 1 and _text(contacts[0].get("user_id")):
        return contacts[0]
    return {}


def language_of(phone: str, user_id: str = "") -> str:
    """The language a number's country speaks here: zh-Hans, zh-Hant or en ("" if unknown)."""
    digits = phone.lstrip("+")
    if digits.isdigit():
        for size in (3, 2):
            if digits[:size] in CALLING_CODES:
                return CALLING_CODES[digits[:size]]
        return ENGLISH
    country, dot, _ = user_id.partition(".")
    if dot and country.isalpha():
        return COUNTRIES.get(country.upper(), ENGLISH)
    return ""


def parse_message(
    item: dict[str, Any], contacts: list[dict[str, Any]], account: str, now: datetime
) -> Message | None:
    """One entry of `messages`, or None (logged) if it names no sender or has no id."""
    wamid = _text(item.get("id"))
    phone = _text(item.get("from"))
    bsuid = _text(item.get("from_user_id"))
    contact = _contact(contacts, phone, bsuid)
    phone = phone or _text(contact.get("wa_id"))
    bsuid = bsuid or _text(contact.get("user_id"))
    system = _object(item.get("system")) if item.get("type") == "system" else {}
    if not phone and system.get("type") == USER_ID_CHANGED:
        # Known to us by the old business-scoped id: the change is about that identity.
        bsuid = _text(system.get("previous_user_id")) or bsuid
    user_id = phone or bsuid
    if not wamid or not user_id:
        log.warning("whatsapp message without id or sender skipped (type %r)", item.get("type"))
        return None
    kind, fields = _content(item)
    if phone and system.get("type") == USER_ID_CHANGED:
        # Known to us by the number, which stays: nothing to move.
        fields = {"event": f"{NAME}.system.{USER_ID_CHANGED}"}
    fields.setdefault("reply_to", _text(_object(item.get("context")).get("id")) or None)
    fields.setdefault("language", language_of(phone, bsuid))
    return Message(
        platform=NAME,
        message_id=wamid,
        user_id=user_id,
        chat_id=user_id,
        kind=kind,
        received_at=_received_at(item.get("timestamp"), now),
        account=account,
        display_name=_text(_object(contact.get("profile")).get("name")),
        raw=item,
        **fields,
    )


def _content(item: dict[str, Any]) -> tuple[MessageKind, dict[str, Any]]:
    """The kind of a message and the Message fields its type object fills."""
    kind = _text(item.get("type"))
    body = _object(item.get(kind)) if kind else {}
    if kind == "edit":
        # The customer changed an earlier message: its new content, keyed to the original.
        edited, fields = _content(_object(body.get("message")))
        original = _text(body.get("original_message_id"))
        if original and edited is not MessageKind.UNSUPPORTED:
            return edited, {**fields, "edit_of": original}
        return MessageKind.UNSUPPORTED, {}
    if kind == "revoke":
        deleted = _text(body.get("original_message_id")) or None
        return MessageKind.EVENT, {"event": Event.MESSAGE_DELETED.value, "payload": deleted}
    if kind == "system":
        return _system(body)
    if kind == "text":
        return MessageKind.TEXT, {"text": _text(body.get("body"))}
    if kind == "interactive":
        # Act on the id, not the title: titles are cut and translated, ids are ours.
        reply = _object(body.get("button_reply") or body.get("list_reply"))
        if _text(reply.get("id")):
            return MessageKind.BUTTON, {
                "text": _text(reply.get("title")), "payload": _text(reply.get("id"))
            }
    if kind == "button":
        payload = _text(body.get("payload"))
        return MessageKind.BUTTON, {"text": _text(body.get("text")), "payload": payload or None}
    if kind in MEDIA_KINDS and _text(body.get("id")):
        media = Media(
            media_id=_text(body.get("id")),
            mime_type=_text(body.get("mime_type")),
            filename=_text(body.get("filename")),
        )
        return MEDIA_KINDS[kind], {"text": _text(body.get("caption")), "media": media}
    if kind == "location":
        location = _location(body)
        if location is not None:
            return MessageKind.LOCATION, {"location": location}
    if kind == "reaction":
        # An empty emoji means the reaction was removed.
        return MessageKind.REACTION, {
            "text": _text(body.get("emoji")), "reply_to": _text(body.get("message_id")) or None
        }
    if kind == "request_welcome":
        return MessageKind.EVENT, {"event": Event.START.value}
    return MessageKind.UNSUPPORTED, {}


def _system(body: dict[str, Any]) -> tuple[MessageKind, dict[str, Any]]:
    """A system message: a changed number moves the identity; nothing is ever answered."""
    change = _text(body.get("type"))
    new_id = _text(body.get("wa_id") or body.get("new_wa_id"))
    if change in NUMBER_CHANGED and new_id:
        return MessageKind.EVENT, {"event": Event.IDENTITY_CHANGED.value, "payload": new_id}
    if change == USER_ID_CHANGED and _text(body.get("user_id")):
        payload = _text(body.get("user_id"))
        return MessageKind.EVENT, {"event": Event.IDENTITY_CHANGED.value, "payload": payload}
    return MessageKind.EVENT, {"event": f"{NAME}.system.{change or 'unknown'}"}


def _location(body: dict[str, Any]) -> Location | None:
    latitude, longitude = body.get("latitude"), body.get("longitude")
    if isinstance(latitude, bool) or isinstance(longitude, bool):
        return None
    if not isinstance(latitude, int | float) or not isinstance(longitude, int | float):
        return None
    names = (_text(body.get("name")), _text(body.get("address")))
    label = ", ".join(text for text in names if text)
    return Location(float(latitude), float(longitude), label)


def parse_status(status: dict[str, Any]) -> Receipt | None:
    """One entry of `statuses` as a receipt for the outbox row with that wamid."""
    wamid = _text(status.get("id"))
    state = _text(status.get("status"))
    if not wamid or not state:
        return None
    error = "; ".join(describe_error(item) for item in _dicts(status.get("errors")))
    return Receipt(NAME, wamid, state, error, LATER_STATES.get(state, ()))
