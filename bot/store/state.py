"""Conversation state: the flow a customer is in, its slots, and when it expires."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bot.core.clock import iso, parse_iso
from bot.store.database import Database


@dataclass(frozen=True, slots=True)
class FlowState:
    """An open multi-turn flow, e.g. an order lookup waiting for the order number."""

    flow: str
    slots: dict[str, Any] = field(default_factory=dict)
    expires_at: datetime | None = None


class States:
    """Reads and writes each customer's open flow."""

    def __init__(self, db: Database) -> None:
        self.db = db
        # While one message is handled (`remembered`): each customer's flow as last read or
        # written, so its routes, which each ask, cost one read between them.
        self._seen: ContextVar[dict[str, FlowState | None] | None] = ContextVar(
            "flow_states_seen", default=None
        )
        # A lost group took its writes with it: what was remembered of them is read again.
        db.on_rollback(self.forget)

    def forget(self) -> None:
        """Drop what the current message remembers (its writes were undone, or rows were
        removed around this class: a merge, an erasure)."""
        seen = self._seen.get()
        if seen is not None:
            seen.clear()

    @contextmanager
    def remembered(self) -> Iterator[None]:
        """Within: a flow read once is not read again (writes here keep it current)."""
        token = self._seen.set({})
        try:
            yield
        finally:
            self._seen.reset(token)

    def get(self, customer_id: str, now: datetime) -> FlowState | None:
        """The customer's open flow, unless it has expired."""
        seen = self._seen.get()
        if seen is not None and customer_id in seen:
            state = seen[customer_id]
            if state is None or state.expires_at is None or state.expires_at > now:
                return state
        row = self.db.one(
            "SELECT * FROM conversation_state WHERE customer_id = ?", [customer_id]
        )
        state = None
        if row is not None:
            expires_at = parse_iso(row["expires_at"])
            if expires_at <= now:
                self.clear(customer_id)
            else:
                state = FlowState(row["flow"], json.loads(row["slots"]), expires_at)
        self._remember(customer_id, state)
        return state

    def _remember(self, customer_id: str, state: FlowState | None) -> None:
        """Keep what the current message read or wrote of a flow (outside one: nothing)."""
        seen = self._seen.get()
        if seen is not None:
            seen[customer_id] = state

    def open(
        self, customer_id: str, flow: str, now: datetime, ttl: timedelta,
        slots: dict[str, Any] | None = None,
    ) -> FlowState:
        """Open (or replace) the customer's flow."""
        state = FlowState(flow, dict(slots or {}), now + ttl)
        self.db.execute(
            "INSERT INTO conversation_state (customer_id, flow, slots, expires_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT(customer_id) DO UPDATE SET flow = excluded.flow,"
            " slots = excluded.slots, expires_at = excluded.expires_at,"
            " updated_at = excluded.updated_at",
            [customer_id, flow, json.dumps(state.slots, ensure_ascii=False),
             iso(state.expires_at), iso(now)],
        )
        self._remember(customer_id, state)
        return state

    def clear(self, customer_id: str) -> None:
        """Close the customer's flow."""
        self.db.execute("DELETE FROM conversation_state WHERE customer_id = ?", [customer_id])
        self._remember(customer_id, None)
