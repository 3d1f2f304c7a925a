"""Status events from the shop: each recorded once by its event id, with what it did."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from bot.core.clock import iso
from bot.store.database import Database


class ShopEvents:
    """The shop's status events, deduplicated by event id."""

    def __init__(self, db: Database) -> None:
        self.db = db


    def claim(
        self, event_id: str, number: str, status: str, body: str, now: datetime, *,
        occurred_at: datetime | None = None, stale: bool = False,
    ) -> bool:
        """Record an event once (a stale one too, marked so); False if it was seen before."""
        cursor = self.db.execute(
            "INSERT OR IGNORE INTO order_events (event_id, order_number, status, body,"
            " received_at, occurred_at, stale) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [event_id, number, status, body, iso(now),
             iso(occurred_at) if occurred_at else None, int(stale)],
        )
        return cursor.rowcount == 1

    def set_result(self, event_id: str, result: dict[str, Any]) -> None:
        """Keep what handling an event did (returned again for replays)."""
        self.db.execute(
            "UPDATE order_events SET result = ? WHERE event_id = ?",
            [json.dumps(result, ensure_ascii=False), event_id],
        )

    def result(self, event_id: str) -> dict[str, Any] | None:
        """What handling an event did, if it has been handled."""
        value = self.db.scalar("SELECT result FROM order_events WHERE event_id = ?", [event_id])
        return dict(json.loads(value)) if value else None
