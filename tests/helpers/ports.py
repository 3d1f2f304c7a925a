"""Adapters' narrow interfaces, backed by a real store as the running bot does it."""

from __future__ import annotations

from bot.core.clock import Clock
from bot.core.ports import AdapterPorts
from bot.store import Store


def ports_of(store: Store, clock: Clock | None = None) -> AdapterPorts:
    """The ports an adapter gets: the store's key-values and inbound times, and a clock."""
    return AdapterPorts(kv=store.kv, inbound=store.customers, clock=clock or Clock())
