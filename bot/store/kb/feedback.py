"""👍/👎 on FAQ answers: each customer's latest opinion of each FAQ."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.core.clock import iso
from bot.store.database import Database

VOTES = ("up", "down")


@dataclass(frozen=True, slots=True)
class Tally:
    """How many customers found an FAQ helpful, and how many did not."""

    up: int = 0
    down: int = 0


class Feedback:
    """Records feedback votes; a customer pressing again changes their vote, never adds one."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def record(
        self, customer_id: str, faq_id: str, vote: str, question: str, now: datetime
    ) -> bool:
        """Store a vote; False when the customer had already given this same vote."""
        if vote not in VOTES:
            raise ValueError(f"unknown vote {vote!r}")
        with self.db.transaction():
            previous = self.db.scalar(
                "SELECT vote FROM kb_feedback WHERE customer_id = ? AND faq_id = ?",
                [customer_id, faq_id],
            )
            if previous == vote:
                return False
            self.db.execute(
                "INSERT INTO kb_feedback (customer_id, faq_id, vote, question, created_at,"
                " updated_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(customer_id, faq_id)"
                " DO UPDATE SET vote = excluded.vote, question = excluded.question,"
                " updated_at = excluded.updated_at",
                [customer_id, faq_id, vote, question, iso(now), iso(now)],
            )
        return True

    def tally(self, faq_id: str) -> Tally:
        """The votes on one FAQ."""
        counts = {
            row["vote"]: row["n"]
            for row in self.db.query(
                "SELECT vote, count(*) AS n FROM kb_feedback WHERE faq_id = ? GROUP BY vote",
                [faq_id],
            )
        }
        return Tally(up=counts.get("up", 0), down=counts.get("down", 0))
