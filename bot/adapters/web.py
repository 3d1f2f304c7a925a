"""The web chat: JSON from the browser widget in, JSON replies out."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import aiohttp

from bot.adapters.base import (
    InboundRequest,
    OutboundRequest,
    RateLimits,
    Rendered,
    SendResult,
    SendStatus,
    WebhookAnswer,
)
from bot.errors import PayloadError
from bot.message import Address, Message, MessageKind, Reply, utc_now

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
    return value


def parse_chat(body: bytes, max_text_chars: int) -> Message:
    """The message in a POST /api/chat body; PayloadError says what is wrong."""
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        raise PayloadError("body must be JSON") from None
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
        received_at=utc_now(),
    )


class WebTransport:
    """Web customers fetch what we send them from their conversation log; nothing to call."""

    async def send(self, session: aiohttp.ClientSession, request: OutboundRequest) -> SendResult:
        """Sending to the web chat is logging it, which the pipeline already did."""
        return SendResult(SendStatus.SENT)


class WebAdapter:
    """Renders replies for the browser widget; proactive messages wait in the log."""

    name = NAME
    rate_limits = RateLimits(per_second=1000, per_chat_per_second=100, burst=100)
    reply_budget_seconds: float | None = None

    def handshake(self, request: InboundRequest) -> WebhookAnswer:
        """The web chat has no platform handshake."""
        return WebhookAnswer(status=405, body="method not allowed")

    def verify(self, request: InboundRequest) -> None:
        """Web chat requests are not signed."""

    def parse(self, request: InboundRequest) -> list[Message]:
        """The one message of a chat request."""
        return [parse_chat(request.body, 4000)]

    def acknowledge(self, request: InboundRequest) -> WebhookAnswer:
        """An empty list of replies."""
        return WebhookAnswer(body='{"replies": []}', content_type="application/json")

    def render(self, message: Message, replies: Sequence[Reply], *, passive: bool) -> Rendered:
        """The replies as the JSON the widget shows."""
        body = json.dumps({"replies": [reply.to_dict() for reply in replies]}, ensure_ascii=False)
        return Rendered(answer=WebhookAnswer(body=body, content_type="application/json"))

    def render_to(self, address: Address, replies: Sequence[Reply]) -> tuple[OutboundRequest, ...]:
        """A marker row per reply; the widget reads the text from the log."""
        return tuple(
            OutboundRequest(
                NAME, address.chat_id, "/log", reply.to_dict(), user_id=address.chat_id
            )
            for reply in replies
        )

    def window_open(self, last_inbound_at: datetime | None, now: datetime) -> bool:
        """No messaging window here."""
        return True

    def transport(self) -> WebTransport:
        """Nothing to send over HTTP."""
        return WebTransport()
