"""The web chat: JSON from the browser widget in, JSON replies out."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.adapters.local import LocalAdapter
from bot.core.adapter import InboundRequest, Rendered, WebhookAnswer
from bot.core.clock import Clock
from bot.core.errors import PayloadError
from bot.core.message import Message, MessageKind, Reply
from bot.core.payload import decode_json

NAME = "web"
MAX_ID_LENGTH = 128


def _identifier(data: dict[str, Any], key: str, *, required: bool) -> str | None:
    value = data.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise PayloadError(f"{key} must be a non-empty string")
    if len(value) > MAX_ID_LENGTH:
        raise PayloadError(f"{key} must be at most {MAX_ID_LENGTH} characters")
    _check_unicode(value, key)
    return value


def _check_unicode(value: str, key: str) -> None:
    # JSON may carry lone surrogates ("\ud800") that no database or platform accepts.
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise PayloadError(f"{key} must be valid Unicode (no lone surrogates)") from None


def parse_chat(body: bytes, max_text_chars: int, now: datetime) -> Message:
    """The message in a POST /api/chat body; PayloadError says what is wrong."""
    data = decode_json(body)
    if not isinstance(data, dict):
        raise PayloadError("body must be a JSON object")
    user_id = _identifier(data, "user_id", required=True)
    message_id = _identifier(data, "message_id", required=True)
    button = _identifier(data, "button", required=False)
    text = data.get("text", "")
    if text is None:
        text = ""
    if not isinstance(text, str):
        raise PayloadError("text must be a string")
    _check_unicode(text, "text")
    if len(text) > max_text_chars:
        raise PayloadError(f"text must be at most {max_text_chars} characters")
    if not text.strip() and button is None:
        raise PayloadError("text or button is required")
    assert user_id is not None and message_id is not None
    return Message(
        platform=NAME,
        message_id=message_id,
        user_id=user_id,
        chat_id=user_id,
        kind=MessageKind.BUTTON if button is not None else MessageKind.TEXT,
        text=text,
        payload=button,
        received_at=now,
    )


class WebAdapter(LocalAdapter):
    """Renders replies for the browser widget; proactive messages wait in the log."""

    name = NAME

    def __init__(self, clock: Clock, max_text_chars: int = 4000) -> None:
        self.clock = clock
        self.max_text_chars = max_text_chars

    def parse(self, request: InboundRequest) -> list[Message]:
        """The one message of a chat request."""
        return [parse_chat(request.body, self.max_text_chars, self.clock.now())]

    def acknowledge(self, request: InboundRequest) -> WebhookAnswer:
        """An empty list of replies."""
        return WebhookAnswer(body='{"replies": []}', content_type="application/json")

    def render(self, message: Message, replies: Sequence[Reply], *, passive: bool) -> Rendered:
        """The replies as the JSON the widget shows."""
        body = json.dumps({"replies": [reply.to_dict() for reply in replies]}, ensure_ascii=False)
        return Rendered(answer=WebhookAnswer(body=body, content_type="application/json"))
