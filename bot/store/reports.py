"""Read-only counts over the log, customers and outbox for the /stats report."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from bot.core.clock import iso
from bot.store.database import Database


class Reports:
    """Counts since a moment; nothing here writes."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def messages_by_platform(self, since: datetime) -> dict[str, dict[str, int]]:
        """Logged messages per platform and direction ("in"/"out")."""
        counts: dict[str, dict[str, int]] = {}
        for row in self.db.query(
            "SELECT platform, direction, count(*) AS n FROM conversation_log"
            " WHERE created_at >= ? GROUP BY platform, direction",
            [iso(since)],
        ):
            counts.setdefault(row["platform"], {"in": 0, "out": 0})[row["direction"]] = row["n"]
        return counts

    def customers(self, since: datetime) -> tuple[int, int]:
        """(new customers, customers who wrote) since the moment."""
        new = self.db.scalar("SELECT count(*) FROM customers WHERE created_at >= ?", [iso(since)])
        active = self.db.scalar(
            "SELECT count(DISTINCT customer_id) FROM conversation_log"
            " WHERE direction = 'in' AND created_at >= ?",
            [iso(since)],
        )
        return int(new), int(active)

    def replies_by_route(self, since: datetime, suggestion_texts: Iterable[str]) -> dict[str, int]:
        """Replies per route; FAQ replies whose text is a did-you-mean count as "suggested"."""
        texts = list(suggestion_texts)
        marks = ", ".join("?" for _ in texts) or "''"
        return {
            row["route"]: row["n"]
            for row in self.db.query(
                "SELECT CASE WHEN route = 'faq' AND text IN (" + marks + ") THEN 'suggested'"
                " ELSE route END AS route, count(*) AS n FROM conversation_log"
                " WHERE direction = 'out' AND created_at >= ? AND route IS NOT NULL"
                " GROUP BY 1",
                [*texts, iso(since)],
            )
        }

    def answers_by_route(self, since: datetime) -> dict[str, int]:
        """Messages answered per route (however many replies each got)."""
        # The replies to one message are logged together, at one moment.
        return {
            row["route"]: row["n"]
            for row in self.db.query(
                "SELECT route, count(DISTINCT customer_id || '|' || created_at) AS n"
                " FROM conversation_log WHERE direction = 'out' AND created_at >= ?"
                " AND route IS NOT NULL GROUP BY route",
                [iso(since)],
            )
        }
