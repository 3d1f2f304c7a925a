"""The adapter contract: bytes in become Messages, Replies out become platform requests."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from datetime import datetime

    import aiohttp

    from bot.config import TableReader
    from bot.message import Address, Message, Reply
    from bot.store import Store


@dataclass(frozen=True, slots=True)
class InboundRequest:
    """An HTTP request from a platform, as plain data (header names lower-cased)."""

    method: str
    path: str
    query: Mapping[str, str]
    headers: Mapping[str, str]
    body: bytes

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


class SendStatus(StrEnum):
    """How one attempt to send an outbox row ended."""

    SENT = "sent"
    RETRY = "retry"  # timeouts, 429, 5xx: try again later
    FAILED = "failed"  # the platform refused it for good
    UNDELIVERABLE = "undeliverable"  # the customer cannot be reached (window, blocked, quota)


@dataclass(frozen=True, slots=True)
class SendResult:
    """The outcome of one send attempt."""

    status: SendStatus
    error: str = ""
    retry_after: float | None = None
    platform_message_id: str | None = None
    blocked: bool = False  # the customer blocked us: stop sending to them


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


class AdapterSettings(Protocol):
    """The typed `[platforms.<name>]` table of one adapter."""

    @property
    def enabled(self) -> bool:
        """Whether the platform's webhook is mounted (read-only: settings are frozen)."""
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


@dataclass(frozen=True, slots=True)
class AdapterSpec:
    """A registry entry: how to read a platform's settings and build its adapter."""

    name: str
    read_settings: Callable[[TableReader], AdapterSettings]
    build: Callable[[Any, Store], Adapter]
