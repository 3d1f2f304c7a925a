"""The Telegram adapter: secret-token webhook or long polling in, Bot API calls out."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta

import aiohttp

from bot.adapters.telegram.api import TelegramTransport
from bot.adapters.telegram.polling import Poller
from bot.adapters.telegram.render import answer_callback, render_replies, thread_of
from bot.adapters.telegram.update import ALLOWED_UPDATES, NAME, parse_body, parse_update
from bot.config.telegram import TelegramSettings
from bot.core.adapter import InboundRequest, OutboundRequest, RateLimits, Rendered, WebhookAnswer
from bot.core.errors import SignatureError
from bot.core.message import Address, Message, MessageKind, Reply
from bot.core.payload import header_bytes
from bot.core.ports import AdapterPorts, UpdateSink

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_CALLBACK_BYTES = 64
LONG_BUTTON_PREFIX = "#"
LONG_BUTTON_TTL = timedelta(days=30)

__all__ = ["ALLOWED_UPDATES", "TelegramAdapter", "build"]


class TelegramAdapter:
    """Verifies the secret token, normalises updates, renders replies as Bot API calls."""

    name = NAME
    # docs/platforms.md §2.5: ~1/s per chat, 20/min per group, ~30/s overall.
    rate_limits = RateLimits(
        per_second=30, per_chat_per_second=1, per_group_per_minute=20, burst=3
    )
    reply_budget_seconds: float | None = None

    def __init__(self, settings: TelegramSettings, ports: AdapterPorts) -> None:
        self.settings = settings
        self.kv = ports.kv
        self.clock = ports.clock
        self.poller: Poller | None = None

    def handshake(self, request: InboundRequest) -> WebhookAnswer:
        """Telegram makes no GET calls."""
        return WebhookAnswer(status=405, body="method not allowed")

    def verify(self, request: InboundRequest) -> None:
        """The secret token header must match, compared in constant time."""
        expected = self.settings.secret_token
        given = request.header(SECRET_HEADER)
        if not expected:
            raise SignatureError("no secret token configured: webhooks are off (polling mode)")
        if given is None:
            raise SignatureError("missing secret token header")
        if not hmac.compare_digest(header_bytes(given), expected.encode()):
            raise SignatureError("wrong secret token")

    def parse(self, request: InboundRequest) -> list[Message]:
        """The messages of one webhook update."""
        messages = parse_body(request.body, bot_username=self.settings.bot_username,
                              now=self.clock.now())
        return [self._long_button(message) for message in messages]

    def parse_update(self, update: object) -> list[Message]:
        """The messages of one update fetched with getUpdates."""
        messages = parse_update(
            update, bot_username=self.settings.bot_username, now=self.clock.now()
        )
        return [self._long_button(message) for message in messages]

    def acknowledge(self, request: InboundRequest) -> WebhookAnswer:
        """200 with an empty body: replies go through the outbox."""
        return WebhookAnswer()

    def render(self, message: Message, replies: Sequence[Reply], *, passive: bool) -> Rendered:
        """answerCallbackQuery for a button press, then the replies (threaded in groups)."""
        reply_to = None
        if not message.is_private and message.source_id:
            reply_to = int(message.source_id.rpartition(":")[2])
        outbound = render_replies(
            message.chat_id, replies, user_id=message.user_id, reply_to=reply_to,
            callback_data=self._callback_data, thread=thread_of(message.raw),
        )
        query = message.raw.get("callback_query")
        if message.kind is MessageKind.BUTTON and isinstance(query, dict):
            answer = answer_callback(message.chat_id, message.user_id, str(query.get("id")))
            outbound.insert(0, answer)
        return Rendered(outbound=tuple(outbound))

    def render_to(self, address: Address, replies: Sequence[Reply]) -> tuple[OutboundRequest, ...]:
        """Replies sent on our own initiative to a chat."""
        return tuple(
            render_replies(
                address.chat_id, replies, user_id=address.user_id or address.chat_id,
                reply_to=None, callback_data=self._callback_data,
            )
        )

    def window_open(self, last_inbound_at: datetime | None, now: datetime) -> bool:
        """Telegram has no messaging window (only a user who blocked us is unreachable)."""
        return True

    def transport(self) -> TelegramTransport:
        """JSON POSTs to the Bot API."""
        return TelegramTransport(self.settings.api_base_url, self.settings.token)

    async def run(self, sink: UpdateSink) -> None:
        """In polling mode, fetch updates with getUpdates until cancelled (Bot.start runs it)."""
        if self.settings.mode != "polling":
            return
        self.poller = Poller(self.settings, self.parse_update, sink, self.kv, self.clock)
        await self.poller.run()

    async def probe(self, session: aiohttp.ClientSession) -> str | None:
        """In polling mode, whether the latest getUpdates worked (webhooks need no probe)."""
        if self.settings.mode != "polling":
            return None
        if self.poller is None:
            return "polling has not started"
        return self.poller.failing

    def _callback_data(self, button_id: str) -> str:
        """The button id, or a short stored alias when it is over the API's 64 bytes."""
        if len(button_id.encode("utf-8")) <= MAX_CALLBACK_BYTES:
            return button_id
        digest = hashlib.sha256(button_id.encode("utf-8")).hexdigest()[:40]
        now = self.clock.now()
        self.kv.set(
            f"telegram:button:{digest}", button_id, now, expires_at=now + LONG_BUTTON_TTL
        )
        return LONG_BUTTON_PREFIX + digest

    def _long_button(self, message: Message) -> Message:
        payload = message.payload or ""
        if message.kind is not MessageKind.BUTTON or not payload.startswith(LONG_BUTTON_PREFIX):
            return message
        button_id = self.kv.get(f"telegram:button:{payload[1:]}", self.clock.now())
        return replace(message, payload=button_id) if button_id is not None else message


def build(settings: TelegramSettings, ports: AdapterPorts) -> TelegramAdapter:
    """The adapter for these settings."""
    return TelegramAdapter(settings, ports)
