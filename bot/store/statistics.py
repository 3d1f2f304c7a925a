"""Read-only series and top lists over a date range, for the console's stats page.

Counts come back per UTC hour ("2026-11-23T03"): the caller folds hours into days of the
brand's time zone, which keeps time-zone rules out of SQL.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from bot.core.clock import iso
from bot.store.database import Database

HOUR = 13  # characters of an ISO timestamp up to the hour


@dataclass(frozen=True, slots=True)
class Points:
    """Points moved in a range, and what customers hold at its end."""

    issued: int
    redeemed: int
    expired: int
    corrected: int  # staff deductions (grants count as issued)
    outstanding: int


class Statistics:
    """Counts between two moments; nothing here writes."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def messages_by_hour(
        self, since: datetime, until: datetime
    ) -> list[tuple[str, str, str, int]]:
        """(hour, platform, direction, count) of logged messages."""
        return [
            (row["hour"], row["platform"], row["direction"], row["n"])
            for row in self.db.query(
                "SELECT substr(created_at, 1, ?) AS hour, platform, direction, count(*) AS n"
                " FROM conversation_log WHERE created_at >= ? AND created_at < ?"
                " GROUP BY 1, 2, 3",
                [HOUR, iso(since), iso(until)],
            )
        ]

    def outcomes_by_hour(
        self, since: datetime, until: datetime, suggestion_texts: Iterable[str]
    ) -> list[tuple[str, str, int]]:
        """(hour, outcome, count) of replies: a route, or "suggested" for a did-you-mean."""
        texts = list(suggestion_texts)
        marks = ", ".join("?" for _ in texts) or "''"
        return [
            (row["hour"], row["outcome"], row["n"])
            for row in self.db.query(
                "SELECT substr(created_at, 1, ?) AS hour, CASE WHEN route = 'faq' AND text IN ("
                + marks + ") THEN 'suggested' ELSE route END AS outcome, count(*) AS n"
                " FROM conversation_log WHERE direction = 'out' AND route IS NOT NULL"
                " AND created_at >= ? AND created_at < ? GROUP BY 1, 2",
                [HOUR, *texts, iso(since), iso(until)],
            )
        ]

    def top_questions(self, since: datetime, until: datetime, limit: int = 10) -> list[
        tuple[str, int]
    ]:
        """The texts customers sent most often (case and surrounding space ignored)."""
        return [
            (row["text"], row["n"])
            for row in self.db.query(
                "SELECT min(trim(text)) AS text, count(*) AS n FROM conversation_log"
                " WHERE direction = 'in' AND kind IN ('text', 'voice') AND trim(text) != ''"
                " AND substr(trim(text), 1, 1) != '/' AND created_at >= ? AND created_at < ?"
                " GROUP BY lower(trim(text)) ORDER BY n DESC, text LIMIT ?",
                [iso(since), iso(until), limit],
            )
        ]

    def top_unanswered(self, since: datetime, until: datetime, limit: int = 10) -> list[
        tuple[int, str, str, int]
    ]:
        """(review id, example, reason, times asked) of review-queue questions asked lately."""
        return [
            (row["id"], row["example"], row["reason"], row["count"])
            for row in self.db.query(
                "SELECT id, json_extract(examples, '$[0]') AS example, reason, count"
                " FROM kb_review WHERE last_asked_at >= ? AND first_asked_at < ?"
                " ORDER BY count DESC, last_asked_at DESC LIMIT ?",
                [iso(since), iso(until), limit],
            )
        ]

    def handoffs_by_hour(self, since: datetime, until: datetime) -> list[
        tuple[str, int, int, float]
    ]:
        """(hour, requested, taken, seconds waited until taken, summed) by request time."""
        return [
            (row["hour"], row["requested"], row["taken"] or 0, row["waited"] or 0.0)
            for row in self.db.query(
                "SELECT substr(requested_at, 1, ?) AS hour, count(*) AS requested,"
                " sum(claimed_at IS NOT NULL) AS taken,"
                " sum((julianday(claimed_at) - julianday(requested_at)) * 86400) AS waited"
                " FROM handoffs WHERE requested_at >= ? AND requested_at < ? GROUP BY 1",
                [HOUR, iso(since), iso(until)],
            )
        ]

    def ratings(self, since: datetime, until: datetime) -> dict[int, int]:
        """How many handoffs requested in the range got each rating 1–5."""
        counts = {score: 0 for score in range(1, 6)}
        for row in self.db.query(
            "SELECT rating, count(*) AS n FROM handoffs WHERE rating IS NOT NULL"
            " AND requested_at >= ? AND requested_at < ? GROUP BY rating",
            [iso(since), iso(until)],
        ):
            counts[int(row["rating"])] = row["n"]
        return counts

    def points(self, since: datetime, until: datetime) -> Points:
        """Points issued, redeemed, expired and corrected in the range; held at its end."""
        row = self.db.one(
            "SELECT coalesce(sum(CASE WHEN points > 0 THEN points END), 0) AS issued,"
            " coalesce(-sum(CASE WHEN points < 0 AND reason = 'redeem' THEN points END), 0)"
            " AS redeemed,"
            " coalesce(-sum(CASE WHEN points < 0 AND reason = 'expire' THEN points END), 0)"
            " AS expired,"
            " coalesce(-sum(CASE WHEN points < 0 AND reason NOT IN ('redeem', 'expire')"
            " THEN points END), 0) AS corrected"
            " FROM ledger WHERE created_at >= ? AND created_at < ?",
            [iso(since), iso(until)],
        )
        assert row is not None
        outstanding = self.db.scalar(
            "SELECT coalesce(sum(points), 0) FROM ledger WHERE created_at < ?", [iso(until)]
        )
        return Points(
            issued=int(row["issued"]), redeemed=int(row["redeemed"]),
            expired=int(row["expired"]), corrected=int(row["corrected"]),
            outstanding=int(outstanding),
        )

    def feedback(self) -> dict[str, tuple[int, int]]:
        """Each FAQ's 👍 and 👎 (every customer's latest vote)."""
        return {
            row["faq_id"]: (row["up"], row["down"])
            for row in self.db.query(
                "SELECT faq_id, sum(vote = 'up') AS up, sum(vote = 'down') AS down"
                " FROM kb_feedback GROUP BY faq_id"
            )
        }

    def recent_questions(self, limit: int = 500) -> list[str]:
        """Distinct texts customers sent lately, newest first (to preview a KB change on)."""
        return [
            row["text"]
            for row in self.db.query(
                "SELECT text FROM conversation_log WHERE direction = 'in'"
                " AND kind IN ('text', 'voice') AND trim(text) != ''"
                " AND substr(trim(text), 1, 1) != '/'"
                " GROUP BY text ORDER BY max(id) DESC LIMIT ?",
                [limit],
            )
        ]
