"""The web chat: JSON from the browser widget in (its session decides who), JSON replies out."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from bot.adapters.local import LocalAdapter
from bot.core.adapter import InboundRequest, Rendered, WebhookAnswer
from bot.core.clock import Clock
from bot.core.errors import PayloadError, SignatureError
from bot.core.message import Media, Message, MessageKind, Reply
from bot.core.payload import decode_json
from bot.core.signing import TokenSigner
from bot.core.websession import NO_SESSION, upload_path, visitor_of

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


def parse_chat(
    body: bytes, visitor_id: str, max_text_chars: int, now: datetime, public_url: str = ""
) -> Message:
    """The message in a POST /api/chat body from `visitor_id`; PayloadError says what is wrong.

    A `user_id` in the body is the old API's: accepted when it is the session's own, refused
    (403) when it names someone else, since the session decides who is writing.
    """
    data = decode_json(body)
    if not isinstance(data, dict):
        raise PayloadError("body must be a JSON object")
    claimed = data.get("user_id")
    if claimed is not None and claimed != visitor_id:
        raise SignatureError("user_id is not yours: the chat session decides who writes", 403)
    message_id = _identifier(data, "message_id", required=True)
    button = _identifier(data, "button", required=False)
    image = _identifier(data, "image", required=False)
    text = data.get("text", "")
    if text is None:
        text = ""
    if not isinstance(text, str):
        raise PayloadError("text must be a string")
    _check_unicode(text, "text")
    if len(text) > max_text_chars:
        raise PayloadError(f"text must be at most {max_text_chars} characters")
    if button is not None and image is not None:
        raise PayloadError("a message is a button press or a photo, not both")
    if not text.strip() and button is None and image is None:
        raise PayloadError("text, button or image is required")
    assert message_id is not None
    kind = MessageKind.TEXT
    media = None
    if button is not None:
        kind = MessageKind.BUTTON
    elif image is not None:
        kind = MessageKind.IMAGE
        media = Media(media_id=image, url=public_url + upload_path(image))
    return Message(
        platform=NAME,
        # Keyed per visitor: another browser's same id must not get this one's replies.
        message_id=f"{visitor_id}:{message_id}",
        user_id=visitor_id,
        chat_id=visitor_id,
        kind=kind,
        text=text,
        payload=button,
        received_at=now,
        media=media,
    )


class WebAdapter(LocalAdapter):
    """Renders replies for the browser widget; proactive messages wait in the log."""

    name = NAME

    def __init__(
        self, clock: Clock, signer: TokenSigner, session_max_age: timedelta,
        max_text_chars: int = 4000, public_url: str = "",
    ) -> None:
        self.clock = clock
        self.signer = signer
        self.session_max_age = session_max_age
        self.max_text_chars = max_text_chars
        self.public_url = public_url

    def _visitor(self, request: InboundRequest) -> str:
        visitor = visitor_of(self.signer, request.headers, self.clock.now(), self.session_max_age)
        if visitor is None:
            raise SignatureError(NO_SESSION, 401)
        return visitor

    def verify(self, request: InboundRequest) -> None:
        """A chat request needs a valid session (cookie or bearer token): else 401."""
        self._visitor(request)

    def parse(self, request: InboundRequest) -> list[Message]:
        """The one message of a chat request, from the session's visitor and address."""
        message = parse_chat(
            request.body, self._visitor(request), self.max_text_chars, self.clock.now(),
            self.public_url,
        )
        return [replace(message, origin=request.remote)]

    def acknowledge(self, request: InboundRequest) -> WebhookAnswer:
        """An empty list of replies."""
        return WebhookAnswer(body='{"replies": []}', content_type="application/json")

    def render(self, message: Message, replies: Sequence[Reply], *, passive: bool) -> Rendered:
        """The replies as the JSON the widget shows."""
        body = json.dumps({"replies": [reply.to_dict() for reply in replies]}, ensure_ascii=False)
        return Rendered(answer=WebhookAnswer(body=body, content_type="application/json"))
