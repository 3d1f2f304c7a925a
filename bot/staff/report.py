"""The operators' numbers over a date range: per day in the brand's time zone, and totals.

The console's stats page draws and downloads these; `/stats` in chat keeps its own summary.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.core.language import ENGLISH, HANS, HANT
from bot.core.texts import Texts
from bot.store import Store
from bot.store.statistics import Points

OUTCOMES = ("answered", "suggested", "fallback")
# Routes whose reply is the FAQ route's decision; other routes (orders, rewards …) are not.
ROUTE_OUTCOME = {"faq": "answered", "suggested": "suggested", "fallback": "fallback"}
LONGEST_RANGE = 366


@dataclass(slots=True)
class Day:
    """One local day's counts."""

    day: date
    messages: Counter[str] = field(default_factory=Counter)  # inbound, by platform
    replies: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)  # answered, suggested, fallback
    handoffs: int = 0
    taken: int = 0
    waited_seconds: float = 0.0


@dataclass(slots=True)
class Report:
    """Every number of the stats page."""

    first: date
    last: date
    days: list[Day]
    platforms: list[str]
    top_questions: list[tuple[str, int]]
    top_unanswered: list[tuple[int, str, str, int]]
    ratings: dict[int, int]
    points: Points

    def total(self, outcome: str) -> int:
        """FAQ decisions of one kind over the range."""
        return sum(day.outcomes[outcome] for day in self.days)

    @property
    def questions(self) -> int:
        """FAQ decisions in all (answered + suggested + fallback)."""
        return sum(self.total(outcome) for outcome in OUTCOMES)

    def rate(self, outcome: str) -> float:
        """The share of FAQ decisions of one kind (0 when there were none)."""
        return self.total(outcome) / self.questions if self.questions else 0.0

    @property
    def handoffs(self) -> int:
        """Handoffs requested over the range."""
        return sum(day.handoffs for day in self.days)

    @property
    def average_wait(self) -> float | None:
        """Seconds from request to an agent taking it, on average (None: none taken)."""
        taken = sum(day.taken for day in self.days)
        return sum(day.waited_seconds for day in self.days) / taken if taken else None

    @property
    def csat(self) -> float | None:
        """The average rating 1–5 (None: no ratings)."""
        count = sum(self.ratings.values())
        return sum(score * n for score, n in self.ratings.items()) / count if count else None


def day_range(first: date, last: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """From the start of `first` to the end of `last`, local days, as UTC moments."""
    since = datetime.combine(first, time(), zone)
    until = datetime.combine(last + timedelta(days=1), time(), zone)
    return since, until


def _local_day(hour: str, zone: ZoneInfo) -> date:
    moment = datetime.fromisoformat(hour + ":00:00+00:00")
    return moment.astimezone(zone).date()


def build(
    store: Store, texts: Texts, zone: ZoneInfo, first: date, last: date
) -> Report:
    """Count everything between the start of `first` and the end of `last` (local days)."""
    if last < first:
        first, last = last, first
    last = min(last, first + timedelta(days=LONGEST_RANGE - 1))
    since, until = day_range(first, last, zone)
    stats = store.statistics
    days = {first + timedelta(days=n): Day(first + timedelta(days=n))
            for n in range((last - first).days + 1)}
    platforms: set[str] = set()
    for hour, platform, direction, count in stats.messages_by_hour(since, until):
        day = days.get(_local_day(hour, zone))
        if day is None:
            continue
        if direction == "in":
            day.messages[platform] += count
            platforms.add(platform)
        else:
            day.replies += count
    languages = (HANS, HANT, ENGLISH)
    suggestion = sorted({texts.get("did_you_mean", language) for language in languages})
    for hour, route, count in stats.outcomes_by_hour(since, until, suggestion):
        day = days.get(_local_day(hour, zone))
        if day is not None and route in ROUTE_OUTCOME:
            day.outcomes[ROUTE_OUTCOME[route]] += count
    for hour, requested, taken, waited in stats.handoffs_by_hour(since, until):
        day = days.get(_local_day(hour, zone))
        if day is not None:
            day.handoffs += requested
            day.taken += taken
            day.waited_seconds += waited
    return Report(
        first=first, last=last, days=list(days.values()), platforms=sorted(platforms),
        top_questions=stats.top_questions(since, until),
        top_unanswered=stats.top_unanswered(since, until),
        ratings=stats.ratings(since, until), points=stats.points(since, until),
    )


def csv_rows(report: Report) -> list[list[str]]:
    """The report as spreadsheet rows: a header, then one row a day."""
    header = ["date", *(f"messages_{name}" for name in report.platforms), "replies",
              *OUTCOMES, "handoffs", "handoffs_taken", "average_wait_seconds"]
    rows = [header]
    for day in report.days:
        wait = f"{day.waited_seconds / day.taken:.0f}" if day.taken else ""
        rows.append([
            day.day.isoformat(), *(str(day.messages[name]) for name in report.platforms),
            str(day.replies), *(str(day.outcomes[name]) for name in OUTCOMES),
            str(day.handoffs), str(day.taken), wait,
        ])
    return rows
