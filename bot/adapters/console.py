"""The terminal shell: lines from stdin become messages, replies print as plain text."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

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
from bot.adapters.text import numbered
from bot.message import Address, Message, MessageKind, Reply, utc_now

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


class ConsoleTransport:
    """Proactive messages to the shell are only logged."""

    async def send(self, session: aiohttp.ClientSession, request: OutboundRequest) -> SendResult:
        """Nothing to call: the shell is not listening between lines."""
        return SendResult(SendStatus.SENT)


class ConsoleAdapter:
    """Renders replies for a terminal."""

    name = NAME
    rate_limits = RateLimits(per_second=1000, per_chat_per_second=100, burst=100)
    reply_budget_seconds: float | None = None

    def handshake(self, request: InboundRequest) -> WebhookAnswer:
        """The shell has no webhook."""
        return WebhookAnswer(status=405)

    def verify(self, request: InboundRequest) -> None:
        """Lines typed locally need no verification."""

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

    def render_to(self, address: Address, replies: Sequence[Reply]) -> tuple[OutboundRequest, ...]:
        """A marker row per reply (the log holds the text)."""
        return tuple(
            OutboundRequest(
                NAME, address.chat_id, "/log", reply.to_dict(), user_id=address.chat_id
            )
            for reply in replies
        )

    def window_open(self, last_inbound_at: datetime | None, now: datetime) -> bool:
        """No messaging window here."""
        return True

    def transport(self) -> ConsoleTransport:
        """Nothing to send over HTTP."""
        return ConsoleTransport()
