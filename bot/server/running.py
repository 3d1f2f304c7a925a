"""What the server needs of the running bot (bot.app.Bot has it; the server never builds one)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from aiohttp import web

from bot.config import Config
from bot.core.adapter import Adapter
from bot.core.clock import Clock
from bot.core.redact import Redactor
from bot.core.signing import TokenSigner
from bot.orders.events import OrderEvents
from bot.runtime.events import ConversationEvents
from bot.runtime.ingress import Ingress
from bot.runtime.metrics import Metrics
from bot.runtime.pipeline import Pipeline
from bot.runtime.readiness import Readiness
from bot.store import Store


class Running(Protocol):
    """The parts of a bot the endpoints use, and how the app starts and stops it."""

    @property
    def config(self) -> Config:
        """The settings it runs with."""
        ...

    @property
    def store(self) -> Store:
        """Its state."""
        ...

    @property
    def clock(self) -> Clock:
        """Its clock."""
        ...

    @property
    def pipeline(self) -> Pipeline:
        """The path of a message."""
        ...

    @property
    def ingress(self) -> Ingress:
        """Where platform requests go."""
        ...

    @property
    def adapters(self) -> Mapping[str, Adapter]:
        """Every channel, the local web chat and shell included."""
        ...

    @property
    def webhooks(self) -> Mapping[str, Adapter]:
        """The enabled platforms, by webhook name."""
        ...

    @property
    def order_events(self) -> OrderEvents:
        """The shop's status events."""
        ...

    @property
    def signer(self) -> TokenSigner:
        """Signs and checks the web chat's session tokens."""
        ...

    @property
    def events(self) -> ConversationEvents:
        """Tells live views that a customer's conversation has new lines."""
        ...

    @property
    def metrics(self) -> Metrics:
        """What /metrics serves."""
        ...

    @property
    def readiness(self) -> Readiness:
        """What /readyz checks."""
        ...

    @property
    def redact(self) -> Redactor:
        """Masks secrets in text that leaves the process."""
        ...

    async def start(self) -> None:
        """Prepare the index, start sending and background jobs."""
        ...

    async def stop(self) -> None:
        """Stop everything and close the store."""
        ...


BOT_KEY = web.AppKey("bot", Running)
