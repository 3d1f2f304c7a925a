"""Delivery dedupe: each (platform, delivery key) is handled once, its replies kept."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.core.clock import iso
from bot.store.database import Database


@dataclass(frozen=True, slots=True)
class Delivery:
    """A recorded inbound delivery."""

    platform: str
    delivery_key: str
    status: str  # "received" until handled, then "handled"
    message: dict[str, Any]
    replies: list[dict[str, Any]] | None


class Deliveries:
    """Records inbound deliveries so that platform retries are never handled twice."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def claim(self, platform: str, key: str, message: dict[str, Any], now: datetime) -> bool:
        """Record a delivery; False if it was already recorded (a retry or a duplicate)."""
        # INSERT OR IGNORE with rowcount: sqlite-utils 4.2.1's insert(ignore=True) breaks on
        # duplicates (see docs/platforms.md), and a UNIQUE primary key is the real guard anyway.
        cursor = self.db.execute(
            "INSERT OR IGNORE INTO deliveries (platform, delivery_key, status, message,"
            " received_at) VALUES (?, ?, 'received', ?, ?)",
            [platform, key, json.dumps(message, ensure_ascii=False), iso(now)],
        )
        return cursor.rowcount == 1

    def get(self, platform: str, key: str) -> Delivery | None:
        """A recorded delivery."""
        row = self.db.one(
            "SELECT * FROM deliveries WHERE platform = ? AND delivery_key = ?", [platform, key]
        )
        if row is None:
            return None
        return Delivery(
            platform=row["platform"],
            delivery_key=row["delivery_key"],
            status=row["status"],
            message=json.loads(row["message"]),
            replies=json.loads(row["replies"]) if row["replies"] is not None else None,
        )

    def complete(
        self, platform: str, key: str, replies: list[dict[str, Any]], now: datetime
    ) -> None:
        """Mark a delivery handled and keep the replies it got."""
        self.db.execute(
            "UPDATE deliveries SET status = 'handled', replies = ?, handled_at = ?"
            " WHERE platform = ? AND delivery_key = ?",
            [json.dumps(replies, ensure_ascii=False), iso(now), platform, key],
        )

    def unhandled(self, received_before: datetime, limit: int = 100) -> list[Delivery]:
        """Deliveries recorded but never handled (the process stopped mid-way)."""
        rows = self.db.query(
            "SELECT platform, delivery_key FROM deliveries WHERE status = 'received'"
            " AND received_at < ? ORDER BY received_at LIMIT ?",
            [iso(received_before), limit],
        )
        found = [self.get(row["platform"], row["delivery_key"]) for row in rows]
        return [delivery for delivery in found if delivery is not None]

    def count(self) -> int:
        """How many deliveries are recorded."""
        return int(self.db.scalar("SELECT count(*) FROM deliveries"))
