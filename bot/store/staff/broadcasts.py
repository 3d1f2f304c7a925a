"""Broadcasts: who opted in to hear from the brand, and what staff sent to them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.core.clock import iso
from bot.store.database import Database


@dataclass(frozen=True, slots=True)
class Broadcast:
    """One sent broadcast and the outbox rows it made."""

    id: int
    staff: str
    segment: str
    text: str
    queued: int
    skipped: int
    outbox_prefix: str


class Broadcasts:
    """Opt-ins and the record of sent broadcasts."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def set_opted_in(self, customer_id: str, opted_in: bool, now: datetime) -> bool:
        """Record the customer's choice; returns what it was before."""
        before = self.is_opted_in(customer_id)
        self.db.execute(
            "INSERT INTO broadcast_optins (customer_id, opted_in, updated_at) VALUES (?, ?, ?)"
            " ON CONFLICT(customer_id) DO UPDATE SET opted_in = excluded.opted_in,"
            " updated_at = excluded.updated_at",
            [customer_id, int(opted_in), iso(now)],
        )
        return before

    def is_opted_in(self, customer_id: str) -> bool:
        """Whether the customer asked to receive broadcasts."""
        return bool(
            self.db.scalar(
                "SELECT opted_in FROM broadcast_optins WHERE customer_id = ?", [customer_id]
            )
        )

    def audience(self) -> list[str]:
        """Customers who opted in and are not blocked."""
        return [
            row["customer_id"]
            for row in self.db.query(
                "SELECT o.customer_id FROM broadcast_optins o JOIN customers c"
                " ON c.id = o.customer_id WHERE o.opted_in = 1 AND c.blocked = 0"
                " ORDER BY o.customer_id"
            )
        ]

    def record(
        self, *, staff: str, segment: str, text: str, queued: int, skipped: int,
        outbox_prefix: str, now: datetime,
    ) -> int:
        """Remember a sent broadcast; returns its id."""
        cursor = self.db.execute(
            "INSERT INTO broadcasts (staff, segment, text, queued, skipped, outbox_prefix,"
            " created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [staff, segment, text, queued, skipped, outbox_prefix, iso(now)],
        )
        return int(cursor.lastrowid or 0)

    def get(self, broadcast_id: int) -> Broadcast | None:
        """One broadcast by id."""
        row = self.db.one("SELECT * FROM broadcasts WHERE id = ?", [broadcast_id])
        if row is None:
            return None
        return Broadcast(
            id=row["id"], staff=row["staff"], segment=row["segment"], text=row["text"],
            queued=row["queued"], skipped=row["skipped"], outbox_prefix=row["outbox_prefix"],
        )

    def recent(self, limit: int = 20) -> list[Broadcast]:
        """The latest broadcasts, newest first."""
        return [
            Broadcast(
                id=row["id"], staff=row["staff"], segment=row["segment"], text=row["text"],
                queued=row["queued"], skipped=row["skipped"], outbox_prefix=row["outbox_prefix"],
            )
            for row in self.db.query("SELECT * FROM broadcasts ORDER BY id DESC LIMIT ?", [limit])
        ]

    def latest_id(self) -> int | None:
        """The id of the most recent broadcast."""
        value = self.db.scalar("SELECT max(id) FROM broadcasts")
        return int(value) if value is not None else None

    def progress(self, broadcast: Broadcast) -> dict[str, int]:
        """How the broadcast's outbox rows stand, by status."""
        prefix = broadcast.outbox_prefix
        return {
            row["status"]: row["n"]
            for row in self.db.query(
                "SELECT status, count(*) AS n FROM outbox WHERE substr(dedupe_key, 1, ?) = ?"
                " GROUP BY status",
                [len(prefix), prefix],
            )
        }
