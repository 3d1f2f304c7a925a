"""The small interfaces outer layers are given instead of the store or the pipeline."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.core.clock import Clock
from bot.core.message import Message


class KeyValueCache(Protocol):
    """Named values with an optional expiry, shared by every process on the same store."""

    def get(self, key: str, now: datetime | None = None) -> str | None:
        """The value of `key`, unless it expired before `now`."""
        ...

    def set(
        self, key: str, value: str, now: datetime, expires_at: datetime | None = None
    ) -> None:
        """Store `value` under `key`."""
        ...

    def add(self, key: str, value: str, now: datetime, expires_at: datetime | None = None) -> bool:
        """Store `value` unless `key` holds an unexpired value; whether it was stored.

        Atomic across processes: of two concurrent adds, one wins.
        """
        ...

    def delete(self, key: str) -> None:
        """Forget `key`."""
        ...


class InboundTimes(Protocol):
    """When a platform identity last wrote to us (messaging windows count from it)."""

    def last_inbound_at(self, platform: str, user_id: str) -> datetime | None:
        """The time of the identity's latest inbound message, None if it never wrote."""
        ...


class UpdateSink(Protocol):
    """Where a pulling adapter hands what it fetched: recorded durably before it returns."""

    def take(self, messages: Sequence[Message]) -> None:
        """Record each message once and start handling the new ones."""
        ...

    def dead_letter(self, platform: str, reason: str, body: bytes) -> None:
        """Keep an authentic update that could not be parsed."""
        ...

    async def committed(self) -> None:
        """Return once what was taken is durable (raises StoreBusy if it was lost)."""
        ...


class JobLocks(Protocol):
    """Which instance runs a background job now, when several share one store."""

    def hold(self, name: str) -> AbstractContextManager[bool]:
        """Whether this instance may run the job `name` now; held until the block ends."""
        ...


@dataclass(frozen=True, slots=True)
class AdapterPorts:
    """Everything an adapter is given besides its settings."""

    kv: KeyValueCache  # tokens, callback-data aliases, offsets, template memory
    inbound: InboundTimes  # messaging windows
    clock: Clock
