"""The terminal shell: lines from stdin become messages, replies print as plain text."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from bot.adapters.local import LocalAdapter
from bot.adapters.text import numbered
from bot.core.adapter import InboundRequest, Rendered, WebhookAnswer
from bot.core.clock import Clock
from bot.core.message import Message, MessageKind, Reply

NAME = "console"


def parse_line(line: str, user_id: str, now: datetime) -> Message:
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
        received_at=now,
    )


def render_text(replies: Sequence[Reply]) -> str:
    """Replies as the shell prints them, buttons as numbered lines."""
    return "\n\n".join(numbered(reply) for reply in replies)


class ConsoleAdapter(LocalAdapter):
    """Renders replies for a terminal."""

    name = NAME

    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    def parse(self, request: InboundRequest) -> list[Message]:
        """Each line of the body is one message."""
        text = request.body.decode("utf-8", errors="replace")
        now = self.clock.now()
        return [parse_line(line, "console", now) for line in text.splitlines() if line.strip()]

    def acknowledge(self, request: InboundRequest) -> WebhookAnswer:
        """Nothing to say."""
        return WebhookAnswer()

    def render(self, message: Message, replies: Sequence[Reply], *, passive: bool) -> Rendered:
        """The printed text."""
        return Rendered(answer=WebhookAnswer(body=render_text(replies)))
