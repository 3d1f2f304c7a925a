"""What the web chat and the shell share: channels on our own server, no platform to call."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import aiohttp

from bot.core.adapter import (
    InboundRequest,
    OutboundRequest,
    RateLimits,
    SendResult,
    SendStatus,
    WebhookAnswer,
)
from bot.core.message import Address, Reply


class LogTransport:
    """Messages to local channels are read from the conversation log; nothing to call."""

    async def send(self, session: aiohttp.ClientSession, request: OutboundRequest) -> SendResult:
        """Sending is logging, which the pipeline already did."""
        return SendResult(SendStatus.SENT)


class LocalAdapter:
    """A channel served by brandbot itself: no handshake, no signature, no messaging window."""

    name = "local"
    rate_limits = RateLimits(per_second=1000, per_chat_per_second=100, burst=100)
    reply_budget_seconds: float | None = None

    def handshake(self, request: InboundRequest) -> WebhookAnswer:
        """No platform handshake."""
        return WebhookAnswer(status=405, body="method not allowed")

    def verify(self, request: InboundRequest) -> None:
        """Local requests are not signed."""

    def render_to(self, address: Address, replies: Sequence[Reply]) -> tuple[OutboundRequest, ...]:
        """A marker row per reply; the customer reads the text from the log."""
        return tuple(
            OutboundRequest(
                self.name, address.chat_id, "/log", reply.to_dict(), user_id=address.chat_id
            )
            for reply in replies
        )

    def window_open(self, last_inbound_at: datetime | None, now: datetime) -> bool:
        """No messaging window here."""
        return True

    def transport(self) -> LogTransport:
        """Nothing to send over HTTP."""
        return LogTransport()
