"""The WhatsApp Cloud API adapter: handshake, signature, parsing, rendering, sending.

Facts in docs/platforms.md §3. Parsing lives in parse.py, message bodies in render.py and the
send API (window, templates, errors) in api.py.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from datetime import datetime

from bot.adapters.whatsapp.api import WhatsAppTransport, WindowPolicy, window_open
from bot.adapters.whatsapp.notice import read_receipt, template_notice_body
from bot.adapters.whatsapp.parse import NAME, Delivery, parse_delivery
from bot.adapters.whatsapp.render import render_reply
from bot.config.whatsapp import WhatsAppSettings
from bot.core.adapter import (
    InboundRequest,
    OutboundRequest,
    RateLimits,
    Receipt,
    Rendered,
    WebhookAnswer,
)
from bot.core.errors import SignatureError
from bot.core.message import Address, Message, MessageKind, Notice, Reply
from bot.core.payload import header_bytes
from bot.core.ports import AdapterPorts

SIGNATURE_HEADER = "X-Hub-Signature-256"
SIGNATURE_PREFIX = "sha256="
MAX_CHALLENGE = 256
ACKNOWLEDGED = WebhookAnswer(body="ok")


def build(settings: WhatsAppSettings, ports: AdapterPorts) -> WhatsAppAdapter:
    """The adapter for these settings."""
    return WhatsAppAdapter(settings, ports)


class WhatsAppAdapter:
    """Translates WhatsApp webhooks into Messages and replies into Cloud API calls."""

    name = NAME
    # 80 messages/s per business number; about one message per 6 s to one user, with
    # bursts allowed (131056 past that, which the outbox retries).
    rate_limits = RateLimits(per_second=80, per_chat_per_second=1.0, burst=5)
    reply_budget_seconds: float | None = None

    def __init__(self, settings: WhatsAppSettings, ports: AdapterPorts) -> None:
        self.settings = settings
        self.ports = ports
        self._last: tuple[bytes, Delivery] | None = None

    def handshake(self, request: InboundRequest) -> WebhookAnswer:
        """Echo hub.challenge when hub.mode is subscribe and hub.verify_token matches."""
        mode = request.query.get("hub.mode", "")
        token = header_bytes(request.query.get("hub.verify_token", ""))
        challenge = request.query.get("hub.challenge", "")
        expected = self.settings.verify_token.encode("utf-8")
        if (
            mode == "subscribe"
            and expected
            and hmac.compare_digest(token, expected)
            and challenge
            and len(challenge) <= MAX_CHALLENGE
        ):
            return WebhookAnswer(body=challenge, content_type="text/plain")
        return WebhookAnswer(status=403, body="forbidden")

    def verify(self, request: InboundRequest) -> None:
        """Check X-Hub-Signature-256, an HMAC-SHA256 of the raw body keyed by the app secret."""
        header = request.header(SIGNATURE_HEADER)
        if not header:
            raise SignatureError(f"missing {SIGNATURE_HEADER}", 401)
        if not header.startswith(SIGNATURE_PREFIX):
            raise SignatureError(f"{SIGNATURE_HEADER} is not sha256=<hex>")
        expected = hmac.new(
            self.settings.app_secret.encode("utf-8"), request.body, hashlib.sha256
        ).hexdigest()
        given = header[len(SIGNATURE_PREFIX) :].strip().lower()
        if not hmac.compare_digest(expected.encode("ascii"), header_bytes(given)):
            raise SignatureError(f"{SIGNATURE_HEADER} does not match the body")

    def _delivery(self, request: InboundRequest) -> Delivery:
        # parse() and receipts() read the same body: decode a large one only once.
        if self._last is not None and self._last[0] is request.body:
            return self._last[1]
        delivery = parse_delivery(request.body, self.ports.clock.now())
        self._last = (request.body, delivery)
        return delivery

    def parse(self, request: InboundRequest) -> list[Message]:
        """Every message of every entry and change; statuses and errors yield none."""
        return list(self._delivery(request).messages)

    def receipts(self, request: InboundRequest) -> list[Receipt]:
        """The delivery reports (sent, delivered, read, failed) for our outbound messages."""
        return list(self._delivery(request).receipts)

    def acknowledge(self, request: InboundRequest) -> WebhookAnswer:
        """Meta only needs a quick 200; replies go through the Cloud API."""
        return ACKNOWLEDGED

    def _path(self, account: str = "") -> str:
        phone_number_id = account or self.settings.phone_number_id
        return f"/{self.settings.api_version}/{phone_number_id}/messages"

    def _requests(
        self, chat_id: str, user_id: str, replies: Sequence[Reply], account: str = ""
    ) -> tuple[OutboundRequest, ...]:
        path = self._path(account)
        return tuple(
            OutboundRequest(NAME, chat_id, path, body, user_id=user_id)
            for reply in replies
            for body in render_reply(chat_id, reply)
        )

    def render(self, message: Message, replies: Sequence[Reply], *, passive: bool) -> Rendered:
        """The read receipt for the customer's message, then the replies as Cloud API calls
        from the number the customer wrote to."""
        requests = self._requests(message.chat_id, message.user_id, replies, message.account)
        if self.settings.mark_read and message.kind not in (MessageKind.EVENT,
                                                            MessageKind.REACTION):
            receipt = OutboundRequest(
                NAME, message.chat_id, self._path(message.account),
                read_receipt(message.source_id or message.message_id), user_id=message.user_id,
            )
            requests = (receipt, *requests)
        return Rendered(answer=ACKNOWLEDGED, outbound=requests)

    def render_notice(self, address: Address, notice: Notice) -> tuple[OutboundRequest, ...]:
        """The approved template configured for the notice's kind, with its parameters, in
        the customer's language (allowed outside the 24-hour window); () if none is set."""
        template = self.settings.templates.get(notice.kind)
        if template is None:
            return ()
        body = template_notice_body(
            address.chat_id, template, notice, self.settings.template_language
        )
        user_id = address.user_id or address.chat_id
        return (OutboundRequest(NAME, address.chat_id, self._path(), body, user_id=user_id),)

    def render_to(self, address: Address, replies: Sequence[Reply]) -> tuple[OutboundRequest, ...]:
        """Replies sent on our own initiative, from the configured number."""
        return self._requests(address.chat_id, address.user_id or address.chat_id, replies)

    def window_open(self, last_inbound_at: datetime | None, now: datetime) -> bool:
        """Free-form messages only within 24 hours of the customer's last message."""
        return window_open(last_inbound_at, now)

    def transport(self) -> WhatsAppTransport:
        """Sends through the Graph API, holding free-form sends outside the window."""
        return WhatsAppTransport(
            self.settings.api_base_url,
            self.settings.access_token,
            WindowPolicy(self.settings.window_template, self.settings.template_language),
            kv=self.ports.kv, inbound=self.ports.inbound, clock=self.ports.clock,
        )
