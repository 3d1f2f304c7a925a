"""Conversation state: the flow a customer is in, its slots, and when it expires."""

from __future__ import annotations

import json
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

    def get(self, customer_id: str, now: datetime) -> FlowState | None:
        """The customer's open flow, unless it has expired."""
        row = self.db.one(
            "SELECT * FROM conversation_state WHERE customer_id = ?", [customer_id]
        )
        if row is None:
            return None
        expires_at = parse_iso(row["expires_at"])
        if expires_at <= now:
            self.clear(customer_id)
            return None
        return FlowState(row["flow"], json.loads(row["slots"]), expires_at)

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
        return state

    def clear(self, customer_id: str) -> None:
        """Close the customer's flow."""
        self.db.execute("DELETE FROM conversation_state WHERE customer_id = ?", [customer_id])
