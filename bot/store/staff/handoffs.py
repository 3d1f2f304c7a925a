"""Human handoffs: a customer's conversation queued for, claimed by and released by staff."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.core.clock import iso, parse_iso
from bot.store.database import Database


@dataclass(frozen=True, slots=True)
class Handoff:
    """One request for a person, from queue to rating."""

    id: int
    customer_id: str
    platform: str
    chat_id: str
    user_id: str
    status: str  # queued, claimed or closed
    agent: str | None
    requested_at: datetime
    active_at: datetime
    close_reason: str | None
    rating: int | None


def handoff_of_row(row: dict[str, Any]) -> Handoff:
    """A handoff from its table row."""
    return Handoff(
        id=row["id"], customer_id=row["customer_id"], platform=row["platform"],
        chat_id=row["chat_id"], user_id=row["user_id"], status=row["status"],
        agent=row["agent"], requested_at=parse_iso(row["requested_at"]),
        active_at=parse_iso(row["active_at"]), close_reason=row["close_reason"],
        rating=row["rating"],
    )


class Handoffs:
    """Reads and moves handoffs along queued → claimed → closed."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def open_for(self, customer_id: str) -> Handoff | None:
        """The customer's handoff that is queued or claimed, if any."""
        row = self.db.one(
            "SELECT * FROM handoffs WHERE customer_id = ? AND status != 'closed'"
            " ORDER BY id DESC LIMIT 1",
            [customer_id],
        )
        return handoff_of_row(row) if row else None

    def request(
        self, *, customer_id: str, platform: str, chat_id: str, user_id: str, now: datetime
    ) -> tuple[Handoff, bool]:
        """Queue the customer for a person; (handoff, False) if one was already open."""
        with self.db.transaction():
            existing = self.open_for(customer_id)
            if existing is not None:
                return existing, False
            cursor = self.db.execute(
                "INSERT INTO handoffs (customer_id, platform, chat_id, user_id, status,"
                " requested_at, active_at) VALUES (?, ?, ?, ?, 'queued', ?, ?)",
                [customer_id, platform, chat_id, user_id, iso(now), iso(now)],
            )
            created = self.get(int(cursor.lastrowid or 0))
        assert created is not None
        return created, True

    def get(self, handoff_id: int) -> Handoff | None:
        """One handoff by id."""
        row = self.db.one("SELECT * FROM handoffs WHERE id = ?", [handoff_id])
        return handoff_of_row(row) if row else None

    def claim(self, handoff_id: int, agent: str, now: datetime) -> bool:
        """Give a queued handoff to an agent; False if it is not queued any more."""
        cursor = self.db.execute(
            "UPDATE handoffs SET status = 'claimed', agent = ?, claimed_at = ?, active_at = ?"
            " WHERE id = ? AND status = 'queued'",
            [agent, iso(now), iso(now), handoff_id],
        )
        return cursor.rowcount == 1

    def touch(self, handoff_id: int, now: datetime) -> None:
        """Note activity on a claimed handoff (its idle timeout starts again)."""
        self.db.execute(
            "UPDATE handoffs SET active_at = ? WHERE id = ? AND status = 'claimed'",
            [iso(now), handoff_id],
        )

    def close(self, handoff_id: int, reason: str, now: datetime) -> bool:
        """Hand the conversation back to the bot; False if it was already closed."""
        cursor = self.db.execute(
            "UPDATE handoffs SET status = 'closed', closed_at = ?, close_reason = ?"
            " WHERE id = ? AND status != 'closed'",
            [iso(now), reason, handoff_id],
        )
        return cursor.rowcount == 1

    def rate(self, handoff_id: int, rating: int, now: datetime) -> bool:
        """Store the customer's rating of a closed handoff, once."""
        cursor = self.db.execute(
            "UPDATE handoffs SET rating = ?, rated_at = ? WHERE id = ? AND status = 'closed'"
            " AND rating IS NULL",
            [rating, iso(now), handoff_id],
        )
        return cursor.rowcount == 1

    def held_by(self, agent: str) -> list[Handoff]:
        """The conversations an agent holds, oldest first."""
        rows = self.db.query(
            "SELECT * FROM handoffs WHERE agent = ? AND status = 'claimed' ORDER BY id", [agent]
        )
        return [handoff_of_row(row) for row in rows]

    def waiting(self, limit: int = 20) -> list[Handoff]:
        """Queued and claimed handoffs, oldest first."""
        rows = self.db.query(
            "SELECT * FROM handoffs WHERE status != 'closed' ORDER BY id LIMIT ?", [limit]
        )
        return [handoff_of_row(row) for row in rows]

    def position(self, handoff_id: int) -> int:
        """How many queued handoffs are ahead of this one, plus one."""
        return int(
            self.db.scalar(
                "SELECT count(*) FROM handoffs WHERE status = 'queued' AND id <= ?",
                [handoff_id],
            )
        )

    def summary(self, since: datetime) -> dict[str, Any]:
        """Handoff counts and ratings for handoffs requested since a moment (for /stats)."""
        row = self.db.one(
            "SELECT count(*) AS requested,"
            " sum(claimed_at IS NOT NULL) AS taken,"
            " sum(status = 'closed') AS closed,"
            " sum(close_reason = 'timeout') AS timed_out,"
            " count(rating) AS rated, avg(rating) AS average"
            " FROM handoffs WHERE requested_at >= ?",
            [iso(since)],
        )
        assert row is not None
        return {key: value or 0 for key, value in row.items()}
