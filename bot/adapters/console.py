"""The terminal shell: lines from stdin become messages, replies print as plain text."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from bot.adapters.base import (
    InboundRequest,
    Rendered,
    WebhookAnswer,
)
from bot.adapters.local import LocalAdapter
from bot.adapters.text import numbered
from bot.message import Message, MessageKind, Reply, utc_now

NAME = "console"


def parse_line(line: str, user_id: str) -> Message:
    """One typed line as a message (each line is a new delivery)."""
    text = line.rstrip("\r\n")
    kind = MessageKind.COMMAND if text.startswith("/") else MessageKind.TEXT
    return Message(
        platform=NAME,
        message_id=uuid.uuid4().hex,
        user_id=user_id,
        chat_id=user_id,
        kind=kind,
        text=text,
        received_at=utc_now(),
    )


def render_text(replies: Sequence[Reply]) -> str:
    """Replies as the shell prints them, buttons as numbered lines."""
    return "\n\n".join(numbered(reply) for reply in replies)



class ConsoleAdapter(LocalAdapter):
    """Renders replies for a terminal."""

    name = NAME

    def parse(self, request: InboundRequest) -> list[Message]:
        """Each line of the body is one message."""
        text = request.body.decode("utf-8", errors="replace")
        return [parse_line(line, "console") for line in text.splitlines() if line.strip()]

    def acknowledge(self, request: InboundRequest) -> WebhookAnswer:
        """Nothing to say."""
        return WebhookAnswer()

    def render(self, message: Message, replies: Sequence[Reply], *, passive: bool) -> Rendered:
        """The printed text."""
        return Rendered(answer=WebhookAnswer(body=render_text(replies)))
