"""The one Context handed to every handler: store, settings, knowledge, clock, customer."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, TypeVar

from bot.config import Config
from bot.core.adapter import Platform
from bot.core.clock import Clock
from bot.core.faq import Candidate, Faq, Reading
from bot.core.message import Customer, Message, Reply
from bot.core.texts import Texts
from bot.store import Store

T = TypeVar("T")

Action = Callable[[Message, "Context"], Awaitable[list[Reply]]]


class FaqSearch(Protocol):
    """The live FAQ index as handlers and the pipeline use it (bot/kb/index.py)."""

    async def prepare(self, text: str = "") -> None:
        """Do the slow part of searching `text` off the event loop (semantic matching)."""
        ...

    def one_version(self) -> AbstractContextManager[None]:
        """Hold the KB's version for one message's routes (asked of the store once)."""
        ...

    def read(self, text: str) -> Reading:
        """What a message's text holds: small talk, its question, the FAQs and the outcome."""
        ...

    def search(self, text: str, limit: int = 3) -> list[Candidate]:
        """The best FAQs for a question, best first."""
        ...

    def get(self, faq_id: str) -> Faq | None:
        """One enabled FAQ by id."""
        ...


class Reach(Protocol):
    """Who can be messaged now, by the messaging-window rules of the running platforms."""

    @property
    def platforms(self) -> Collection[str]:
        """The platforms this bot sends on."""
        ...

    def is_open(self, platform: str, user_id: str, now: datetime) -> bool:
        """Whether a free-form message may go to this identity now."""
        ...


@dataclass(slots=True)
class Context:
    """What a handler may read and write while answering one message."""

    store: Store
    config: Config
    faqs: FaqSearch
    texts: Texts
    clock: Clock
    customer: Customer
    language: str
    reach: Reach
    actions: Mapping[str, Action] = field(default_factory=dict)
    # Every platform features may ask about (invite links, follow events), running or not.
    platforms: Mapping[str, Platform] = field(default_factory=dict)
    # Long-lived helpers of features (the order source …), found by their type.
    services: Mapping[type, object] = field(default_factory=dict)

    def now(self) -> datetime:
        """The current UTC time."""
        return self.clock.now()

    def text(self, key: str, **values: Any) -> str:
        """A canned text in the customer's language."""
        return self.texts.get(key, self.language, **values)

    def staff_language(self) -> str:
        """The language staff texts go to this customer in: the one set for them in
        `[staff.members]`, else the one the bot knows them by."""
        languages = self.config.staff.languages
        for identity in self.customer.identities:
            found = languages.get(f"{identity.platform}:{identity.user_id}")
            if found:
                return found
        return self.customer.language

    def staff_language_at(self, platform: str, chat_id: str) -> str:
        """The language of staff texts sent to a staff member or the staff chat by address:
        the one set in `[staff.members]`, else the brand's."""
        found = self.config.staff.languages.get(f"{platform}:{chat_id}")
        return found or self.config.bot.default_language

    def staff_text(self, key: str, **values: Any) -> str:
        """A staff-facing text (knowledge_base/staff.toml) in the staff member's language."""
        return self.texts.get(key, self.staff_language(), **values)

    def service(self, kind: type[T]) -> T | None:
        """The feature helper of this type, if the bot runs one."""
        found = self.services.get(kind)
        return found if isinstance(found, kind) else None
