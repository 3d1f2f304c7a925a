"""The adapter contract: bytes in become Messages, Replies out become platform requests."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable

import aiohttp

from bot.core.message import Address, Message, Notice, Reply
from bot.core.ports import UpdateSink


@dataclass(frozen=True, slots=True)
class InboundRequest:
    """An HTTP request from a platform, as plain data (header names lower-cased)."""

    method: str
    path: str
    query: Mapping[str, str]
    headers: Mapping[str, str]
    body: bytes
    remote: str = ""  # the client's address (behind a trusted proxy: the one it reports)

    def header(self, name: str) -> str | None:
        """A header by case-insensitive name."""
        return self.headers.get(name.lower())


@dataclass(frozen=True, slots=True)
class WebhookAnswer:
    """The HTTP answer to a platform's webhook call."""

    status: int = 200
    body: str | bytes = ""
    content_type: str = "text/plain"


@dataclass(frozen=True, slots=True)
class OutboundRequest:
    """One call to a platform's send API, stored in the outbox until it succeeds."""

    platform: str
    chat_id: str
    path: str  # relative to the platform's api_base_url
    body: Mapping[str, Any]
    method: str = "POST"
    user_id: str = ""
    is_group: bool = False


@dataclass(frozen=True, slots=True)
class Rendered:
    """What an adapter makes of the replies to one message."""

    answer: WebhookAnswer = field(default_factory=WebhookAnswer)
    outbound: tuple[OutboundRequest, ...] = ()
    # Replies the platform can give only in a later webhook answer (a WeChat account without
    # the customer-service API): kept for its retry of the message, or the customer's next one.
    held: tuple[Reply, ...] = ()


class SendStatus(StrEnum):
    """How one attempt to send an outbox row ended."""

    SENT = "sent"
    RETRY = "retry"  # timeouts, 429, 5xx: try again later
    FAILED = "failed"  # the platform refused it for good
    UNDELIVERABLE = "undeliverable"  # the customer cannot be reached (window, blocked, quota)
    HELD = "held"  # the platform cannot send it: kept for the customer's next passive answer


@dataclass(frozen=True, slots=True)
class SendResult:
    """The outcome of one send attempt."""

    status: SendStatus
    error: str = ""  # for SENT: a note when it went out differently than stored
    retry_after: float | None = None
    platform_message_id: str | None = None
    blocked: bool = False  # the customer blocked us: stop sending to them
    held: tuple[Reply, ...] = ()  # for HELD: what the row said, to give at the next message


@dataclass(frozen=True, slots=True)
class RateLimits:
    """How fast a platform lets us send: overall, per chat and per group chat."""

    per_second: float = 30.0
    per_chat_per_second: float = 1.0
    per_group_per_minute: float = 20.0
    burst: int = 3


class Transport(Protocol):
    """Sends one outbox row over HTTP; owned by the outbox's session."""

    async def send(
        self, session: aiohttp.ClientSession, request: OutboundRequest
    ) -> SendResult: ...


@dataclass(frozen=True, slots=True)
class Receipt:
    """What a platform reports later about one of our sent messages (delivered, read, failed)."""

    platform: str
    platform_message_id: str
    state: str
    error: str = ""
    unless: tuple[str, ...] = ()  # states already recorded that this report must not undo


@runtime_checkable
class ReceiptSource(Protocol):
    """An adapter whose webhooks also carry delivery reports; server.py records them."""

    def receipts(self, request: InboundRequest) -> list[Receipt]:
        """The delivery reports in a verified, parseable request."""
        ...


class Adapter(Protocol):
    """One messaging platform: verify, parse, render, and how to send."""

    name: str
    rate_limits: RateLimits
    reply_budget_seconds: float | None  # wait this long for a passive reply; None: never

    def handshake(self, request: InboundRequest) -> WebhookAnswer:
        """Answer the platform's GET verification call."""
        ...

    def verify(self, request: InboundRequest) -> None:
        """Raise SignatureError unless the request comes from the platform."""
        ...

    def parse(self, request: InboundRequest) -> list[Message]:
        """Turn a verified request into messages; raise PayloadError if it cannot."""
        ...

    def acknowledge(self, request: InboundRequest) -> WebhookAnswer:
        """The answer when replies go through the outbox (or there are none)."""
        ...

    def render(self, message: Message, replies: Sequence[Reply], *, passive: bool) -> Rendered:
        """Render replies to `message`; `passive` allows them in the webhook answer."""
        ...

    def render_to(self, address: Address, replies: Sequence[Reply]) -> tuple[OutboundRequest, ...]:
        """Render replies sent on our own initiative (relays, notifications)."""
        ...

    def transport(self) -> Transport:
        """How the outbox sends this platform's requests."""
        ...

    def window_open(self, last_inbound_at: datetime | None, now: datetime) -> bool:
        """Whether a free-form message may be sent to someone who last wrote at that time."""
        ...


@runtime_checkable
class HoldingAdapter(Protocol):
    """A platform that delivers a webhook again when our answer did not reach it in time
    (WeChat), and that on some accounts can answer only in a webhook's answer."""

    # The platform stops waiting for an answer after this many seconds, then delivers again.
    answer_deadline_seconds: float
    deliveries: int  # how many times, at most, it delivers one message

    def holds_replies(self) -> bool:
        """Whether replies that miss the budget must wait for a retry or the next message."""
        ...


@runtime_checkable
class NoticeRenderer(Protocol):
    """An adapter with the platform's own approved messages (templates) for notices."""

    def render_notice(self, address: Address, notice: Notice) -> tuple[OutboundRequest, ...]:
        """The template send saying `notice`, allowed outside the window; () if none is set."""
        ...


@runtime_checkable
class PullingAdapter(Protocol):
    """An adapter that fetches updates itself (Telegram long polling) while the bot runs."""

    async def run(self, sink: UpdateSink) -> None:
        """Fetch updates until cancelled, handing each batch to `sink` before moving on."""
        ...


@runtime_checkable
class Probed(Protocol):
    """An adapter that can say whether its platform works for us now (for /readyz)."""

    async def probe(self, session: aiohttp.ClientSession) -> str | None:
        """None when it works; else, in one line, why not (no secret in it)."""
        ...


class InviteKind(StrEnum):
    """How a platform lets a customer's friend reach the brand with a referral code."""

    LINK = "link"  # a URL that opens the chat with the code in it
    QR = "qr"  # an image URL of a QR code carrying the code
    PREPARING = "preparing"  # the platform is still making one: ask again shortly
    CODE = "code"  # no link: the friend follows the brand and types the code


@dataclass(frozen=True, slots=True)
class Invite:
    """One platform's way in for a referred friend."""

    kind: InviteKind
    url: str = ""


class Platform(Protocol):
    """What features may ask of a platform, whether or not this instance runs its webhooks."""

    name: str
    # No follow event exists (WhatsApp): a customer's first message is their arrival.
    arrives_by_message: bool

    def invite(self, payload: str, prefill: str) -> Invite | None:
        """How a friend reaches us carrying `payload` (ref_<code>); None if there is no way.

        `prefill` is the text a friend's first message should carry, where a link can set it.
        """
        ...
