"""The one Context handed to every handler: store, settings, knowledge, clock, customer."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.adapters.base import Adapter
from bot.clock import Clock
from bot.config import Config
from bot.faq_index import FaqIndex
from bot.knowledge import Texts
from bot.message import Customer, Message, Reply
from bot.store import Store

Action = Callable[[Message, "Context"], Awaitable[list[Reply]]]


@dataclass(slots=True)
class Context:
    """What a handler may read and write while answering one message."""

    store: Store
    config: Config
    faqs: FaqIndex
    texts: Texts
    clock: Clock
    customer: Customer
    language: str
    actions: Mapping[str, Action] = field(default_factory=dict)
    adapters: Mapping[str, Adapter] = field(default_factory=dict)  # to check messaging windows
    extras: dict[str, Any] = field(default_factory=dict)

    def now(self) -> datetime:
        """The current UTC time."""
        return self.clock.now()

    def text(self, key: str, **values: Any) -> str:
        """A canned text in the customer's language."""
        return self.texts.get(key, self.language, **values)
