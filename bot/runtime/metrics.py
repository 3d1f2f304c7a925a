"""The bot's Prometheus metrics: counters the pipeline, outbox and server move, gauges read
from the store at each scrape, and how each platform's sends are going (for /readyz).

One registry per bot (not prometheus-client's global one), so that several bots in one
process (the tests) never share a number.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, ProcessCollector
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from bot.core.adapter import SendResult, SendStatus
from bot.core.clock import Clock
from bot.core.message import Reply
from bot.store import Store
from bot.store.operations import OPEN_STATUSES

# The routes of small talk (handlers/conversation): answered, but not from an FAQ.
SMALL_TALK_ROUTES = frozenset({"small_talk", "distress", "complaint"})
FAQ_OUTCOMES = ("answered", "suggested", "fallback", "small_talk")
# Seconds from recording a message to its replies stored: most are a few milliseconds;
# WeChat's passive-answer budget (5 s) is the top that matters.
LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# Sends in a row that must fail before a platform counts as not working.
FAILING_AFTER = 3


def faq_outcome(route: str, replies: Sequence[Reply], suggestions: Collection[str]) -> str | None:
    """What the knowledge base did for a message: answered, suggested, fallback, small talk."""
    if route in SMALL_TALK_ROUTES:
        return "small_talk"
    if route in ("fallback", "none"):
        return "fallback"
    if route == "faq":
        return "suggested" if any(reply.text in suggestions for reply in replies) else "answered"
    return None  # commands, orders, rewards, handoff …: not a question for the KB


@dataclass(slots=True)
class SendHealth:
    """How a platform's recent sends went: failures in a row, and the last error."""

    failures: int = 0
    last_error: str = ""

    @property
    def failing(self) -> bool:
        """Whether enough sends failed in a row to call the platform not working."""
        return self.failures >= FAILING_AFTER


class StoreCollector(Collector):
    """Gauges read from the store when Prometheus scrapes (so they are never stale)."""

    def __init__(self, store: Store, clock: Clock, platforms: Iterable[str] = ()) -> None:
        self.store = store
        self.clock = clock
        self.platforms = tuple(platforms)  # shown with zeros when they have no rows

    def collect(self) -> Iterable[Metric]:
        """The store's numbers; only `brandbot_store_up 0` if it cannot be read."""
        up = GaugeMetricFamily("brandbot_store_up", "1 if the store answered this scrape")
        db = self.store.db
        busy, errors = db.statement_failures()
        failures = CounterMetricFamily(
            "brandbot_store_statement_failures",
            "Store statements that failed: busy (locked past the busy timeout) or error",
            labels=["kind"],
        )
        failures.add_metric(["busy"], busy)
        failures.add_metric(["error"], errors)
        # Group commit: messages handled divided by these is how many share a commit.
        commits = CounterMetricFamily(
            "brandbot_store_commits", "Real COMMITs of the store, and those of write groups",
            labels=["kind"],
        )
        commits.add_metric(["all"], db.commits)
        commits.add_metric(["group"], db.groups)
        commits.add_metric(["lost_group"], db.lost_groups)
        try:
            families = list(self._read())
        except Exception:  # a scrape must answer even when the store does not
            up.add_metric([], 0)
            return [up, failures, commits]
        up.add_metric([], 1)
        return [up, failures, commits, *families]

    def _read(self) -> Iterator[Metric]:
        operations = self.store.operations
        depth = GaugeMetricFamily(
            "brandbot_outbox_rows", "Outbox rows by platform and status (sent ones not counted)",
            labels=["platform", "status"],
        )
        counts = {(platform, status): 0 for platform in self.platforms
                  for status in OPEN_STATUSES}
        counts |= {(row.platform, row.status): row.count for row in operations.outbox_depth()}
        for (platform, status), count in sorted(counts.items()):
            depth.add_metric([platform, status], count)
        yield depth
        oldest = GaugeMetricFamily(
            "brandbot_outbox_oldest_pending_seconds",
            "Age of the oldest row still waiting to be sent, per platform",
            labels=["platform"],
        )
        now = self.clock.now()
        ages = dict.fromkeys(self.platforms, 0.0)
        ages.update({
            platform: max((now - created_at).total_seconds(), 0.0)
            for platform, created_at in operations.oldest_waiting().items()
        })
        for platform, age in sorted(ages.items()):
            oldest.add_metric([platform], age)
        yield oldest
        letters = GaugeMetricFamily(
            "brandbot_dead_letters", "Authentic requests kept because they could not be parsed",
            labels=["platform"],
        )
        kept = dict.fromkeys(self.platforms, 0) | operations.dead_letters()
        for platform, count in sorted(kept.items()):
            letters.add_metric([platform], count)
        yield letters
        handoffs = GaugeMetricFamily(
            "brandbot_handoffs", "Open handoffs: queued (waiting for a person) or claimed",
            labels=["status"],
        )
        for status, count in operations.handoffs().items():
            handoffs.add_metric([status], count)
        yield handoffs


class Metrics:
    """The counters and histograms of one bot, and the registry /metrics serves."""

    def __init__(
        self, store: Store, clock: Clock, *, version: str = "", platforms: Iterable[str] = (),
        suggestions: Collection[str] = (),
    ) -> None:
        self.registry = CollectorRegistry()
        self.suggestions = frozenset(suggestions)
        registry = self.registry
        self.received = Counter(
            "brandbot_messages_received", "Messages recorded for the first time",
            ["platform"], registry=registry,
        )
        self.duplicates = Counter(
            "brandbot_messages_duplicate", "Redeliveries recognised (never handled twice)",
            ["platform"], registry=registry,
        )
        self.handled = Counter(
            "brandbot_messages_handled", "Messages handled, by the route that answered",
            ["platform", "route"], registry=registry,
        )
        self.replies = Counter(
            "brandbot_replies", "Replies given to the sender of a message", ["platform"],
            registry=registry,
        )
        self.faq = Counter(
            "brandbot_faq_outcomes", "What the knowledge base did for a customer's message",
            ["outcome"], registry=registry,
        )
        self.latency = Histogram(
            "brandbot_handling_seconds", "From recording a message to its replies stored",
            ["platform"], buckets=LATENCY_BUCKETS, registry=registry,
        )
        self.sends = Counter(
            "brandbot_outbox_sends", "Send attempts by result (sent, retry, failed,"
            " undeliverable, error)", ["platform", "result"], registry=registry,
        )
        self.requests = Counter(
            "brandbot_http_requests", "HTTP requests by route and status",
            ["method", "route", "status"], registry=registry,
        )
        self.request_seconds = Histogram(
            "brandbot_http_request_seconds", "Time to answer an HTTP request", ["route"],
            buckets=LATENCY_BUCKETS, registry=registry,
        )
        self.last_backup = Gauge(
            "brandbot_last_backup_timestamp_seconds", "When the last daily backup was taken"
            " (Unix time; 0: none by this process)", registry=registry,
        )
        build = Gauge(
            "brandbot_build_info", "The running version", ["version"], registry=registry
        )
        build.labels(version).set(1)
        ProcessCollector(registry=registry)
        platforms = tuple(platforms)
        registry.register(StoreCollector(store, clock, platforms))
        self.send_health: dict[str, SendHealth] = {}
        self._children: dict[tuple[int, tuple[str, ...]], Any] = {}
        # Every series exists from the start, so a dashboard shows 0 rather than nothing.
        for platform in platforms:
            self.received.labels(platform)
            self.replies.labels(platform)
        for outcome in FAQ_OUTCOMES:
            self.faq.labels(outcome)

    def _child(self, metric: Counter | Histogram, *labels: str) -> Any:
        """The series of `metric` for these labels (looked up once: `labels()` is slow)."""
        key = (id(metric), labels)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = metric.labels(*labels)
        return child

    def record(self, platform: str, fresh: bool) -> None:
        """A delivery was recorded (fresh) or recognised as one seen before."""
        self._child(self.received if fresh else self.duplicates, platform).inc()

    def answered(
        self, platform: str, route: str, replies: Sequence[Reply], seconds: float
    ) -> str | None:
        """A message was handled; returns its FAQ outcome, if it was a question for the KB."""
        self._child(self.handled, platform, route).inc()
        if replies:
            self._child(self.replies, platform).inc(len(replies))
        self._child(self.latency, platform).observe(seconds)
        outcome = faq_outcome(route, replies, self.suggestions)
        if outcome is not None:
            self._child(self.faq, outcome).inc()
        return outcome

    def sent(self, platform: str, result: SendResult | None) -> None:
        """One send attempt ended (None: it raised)."""
        name = result.status.value if result is not None else "error"
        self._child(self.sends, platform, name).inc()
        health = self.send_health.setdefault(platform, SendHealth())
        if result is not None and result.status is SendStatus.SENT:
            health.failures, health.last_error = 0, ""
        elif result is None or result.status is SendStatus.FAILED or (
            # A rate limit (Retry-After) is the platform working, just asking us to slow down.
            result.status is SendStatus.RETRY and result.retry_after is None
        ):
            health.failures += 1
            health.last_error = result.error if result is not None else "the send raised"

    def backed_up(self, timestamp: float) -> None:
        """A daily backup was written."""
        self.last_backup.set(timestamp)

    def request(self, method: str, route: str, status: int, seconds: float) -> None:
        """An HTTP request was answered."""
        self._child(self.requests, method, route, str(status)).inc()
        self._child(self.request_seconds, route).observe(seconds)
