"""Delivery dedupe: each (platform, delivery key) is recorded once, handled once, its replies
kept; a lease says who is handling it, so a process that died mid-way is taken over."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.core.clock import iso, parse_iso
from bot.store.database import Database


@dataclass(frozen=True, slots=True)
class Delivery:
    """A recorded inbound delivery."""

    platform: str
    delivery_key: str
    status: str  # "received" until handled, then "handled"
    message: dict[str, Any]
    replies: list[dict[str, Any]] | None
    passive: bool = False  # its replies went back in the webhook's answer
    received_at: str = ""
    attempts: int = 1  # how many times the platform delivered it


class Deliveries:
    """Records inbound deliveries so that platform retries are never handled twice."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def claim(
        self, platform: str, key: str, message: dict[str, Any], now: datetime,
        lease: timedelta = timedelta(seconds=15),
    ) -> bool:
        """Record a delivery and lease its handling; False if it was already recorded."""
        # INSERT OR IGNORE with rowcount: a UNIQUE primary key is the real guard against a
        # platform's retries (sqlite-utils' insert(ignore=True) breaks here: docs/platforms.md §4).
        cursor = self.db.execute(
            "INSERT OR IGNORE INTO deliveries (platform, delivery_key, status, message,"
            " received_at, lease_until) VALUES (?, ?, 'received', ?, ?, ?)",
            [platform, key, json.dumps(message, ensure_ascii=False), iso(now), iso(now + lease)],
        )
        return cursor.rowcount == 1

    def count_repeat(self, platform: str, key: str) -> int:
        """Count one more arrival of a recorded delivery (a platform's retry); the new total."""
        row = self.db.one(
            "UPDATE deliveries SET attempts = attempts + 1 WHERE platform = ?"
            " AND delivery_key = ? RETURNING attempts",
            [platform, key],
        )
        return int(row["attempts"]) if row else 0

    def take_over(self, platform: str, key: str, now: datetime, lease: timedelta) -> bool:
        """Lease an unhandled delivery whose last lease lapsed (its handler died); whether won."""
        cursor = self.db.execute(
            "UPDATE deliveries SET lease_until = ? WHERE platform = ? AND delivery_key = ?"
            " AND status = 'received' AND (lease_until IS NULL OR lease_until <= ?)",
            [iso(now + lease), platform, key, iso(now)],
        )
        return cursor.rowcount == 1

    def renew(self, keys: Sequence[tuple[str, str]], until: datetime) -> int:
        """Extend the leases of deliveries still being handled here; how many were extended."""
        renewed = 0
        for platform, key in keys:
            renewed += self.db.execute(
                "UPDATE deliveries SET lease_until = ? WHERE platform = ? AND delivery_key = ?"
                " AND status = 'received'",
                [iso(until), platform, key],
            ).rowcount
        return renewed

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
            passive=bool(row["passive"]),
            received_at=row["received_at"],
            attempts=int(row["attempts"]),
        )

    def complete(
        self, platform: str, key: str, replies: list[dict[str, Any]], now: datetime, *,
        passive: bool = False,
    ) -> None:
        """Mark a delivery handled and keep the replies it got (and whether passively)."""
        self.db.execute(
            "UPDATE deliveries SET status = 'handled', replies = ?, handled_at = ?,"
            " lease_until = NULL, passive = ? WHERE platform = ? AND delivery_key = ?",
            [json.dumps(replies, ensure_ascii=False), iso(now), int(passive), platform, key],
        )

    def unhandled(self, free_by: datetime, limit: int = 100) -> list[Delivery]:
        """Deliveries recorded but not handled whose lease lapsed by `free_by`, oldest first."""
        rows = self.db.query(
            "SELECT platform, delivery_key FROM deliveries WHERE status = 'received'"
            " AND (lease_until IS NULL OR lease_until <= ?) ORDER BY received_at LIMIT ?",
            [iso(free_by), limit],
        )
        found = [self.get(row["platform"], row["delivery_key"]) for row in rows]
        return [delivery for delivery in found if delivery is not None]

    def next_lease_end(self, now: datetime) -> datetime | None:
        """When the next lease on an unhandled delivery lapses (after `now`), if any does."""
        value = self.db.scalar(
            "SELECT min(lease_until) FROM deliveries WHERE status = 'received'"
            " AND lease_until > ?",
            [iso(now)],
        )
        return parse_iso(value) if value else None

    def delete_handled_before(self, cutoff: datetime, batch: int = 2000) -> int:
        """Forget up to `batch` handled deliveries received before `cutoff`; how many went.

        Unhandled ones stay whatever their age (they are still to be handled).
        """
        # By the primary key, not SQLite's rowid: PostgreSQL has none.
        cursor = self.db.execute(
            "DELETE FROM deliveries WHERE (platform, delivery_key) IN (SELECT platform,"
            " delivery_key FROM deliveries WHERE status = 'handled' AND received_at < ?"
            " ORDER BY received_at LIMIT ?)",
            [iso(cutoff), batch],
        )
        return cursor.rowcount

    def count(self) -> int:
        """How many deliveries are recorded."""
        return int(self.db.scalar("SELECT count(*) FROM deliveries"))
