"""The `[orders]` settings: where orders come from and how careful the lookup is."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.config.reader import TableReader


@dataclass(frozen=True, slots=True)
class OrdersHttpSettings:
    """The shop's own order API, for `[orders] source = "http"`."""

    url: str = ""  # a template with {number}
    auth_header: str = "Authorization"
    auth_token: str = ""  # the header's value, read from the variable named by auth_env
    timeout_seconds: float = 2.5
    retries: int = 1
    breaker_failures: int = 3
    breaker_cooldown_seconds: float = 30.0
    retry_interval_seconds: float = 15.0
    give_up_hours: float = 24.0


@dataclass(frozen=True, slots=True)
class OrdersSettings:
    """Order lookup: where orders come from and how careful the conversation is."""

    source: str = "store"
    samples: str = "samples/orders.csv"
    number_pattern: str = r"(?<![A-Za-z0-9])(CL\d{8,12})(?!\d)"
    flow_minutes: float = 10.0
    max_failures: int = 5  # wrong tries by one customer, then a pause
    # One address (web visitors) tries for many orders: its customers are paused past this.
    max_failures_per_source: int = 10
    # Wrong tries for one order (by anyone), and over all orders: past these, only the full
    # phone number or the email proves ownership (the owner knows it; a guesser does not).
    max_failures_per_order: int = 5
    max_failures_overall: int = 50
    failure_window_minutes: float = 60.0
    pause_minutes: float = 60.0
    recent_orders: int = 5
    events_secret: str = ""  # read from the variable named by events_secret_env
    http: OrdersHttpSettings = field(default_factory=OrdersHttpSettings)


def read_orders(table: TableReader) -> OrdersSettings:
    """Read `[orders]` and its `[orders.http]` table."""
    defaults = OrdersSettings()
    source = table.string("source", defaults.source, choices=("store", "http"))
    pattern = table.string("number_pattern", defaults.number_pattern)
    try:
        if re.compile(pattern).groups > 1:
            table.problem("number_pattern", "may have at most one group (the order number)")
    except re.error as error:
        table.problem("number_pattern", f"not a valid regular expression ({error})")
        pattern = defaults.number_pattern
    http = table.subtable("http")
    http_defaults = OrdersHttpSettings()
    url = http.string("url", http_defaults.url)
    if source == "http" and "{number}" not in url:
        http.problem("url", "must be a URL template containing {number} when source = \"http\"")
    http_settings = OrdersHttpSettings(
        url=url,
        auth_header=http.string("auth_header", http_defaults.auth_header),
        auth_token=http.secret("auth_env", required=False),
        timeout_seconds=http.number(
            "timeout_seconds", http_defaults.timeout_seconds, minimum=0.01
        ),
        retries=http.integer("retries", http_defaults.retries, minimum=0),
        breaker_failures=http.integer(
            "breaker_failures", http_defaults.breaker_failures, minimum=1
        ),
        breaker_cooldown_seconds=http.number(
            "breaker_cooldown_seconds", http_defaults.breaker_cooldown_seconds, minimum=0
        ),
        retry_interval_seconds=http.number(
            "retry_interval_seconds", http_defaults.retry_interval_seconds, minimum=0.01
        ),
        give_up_hours=http.number("give_up_hours", http_defaults.give_up_hours, minimum=0),
    )
    http.finish()
    return OrdersSettings(
        source=source,
        samples=table.string("samples", defaults.samples),
        number_pattern=pattern,
        flow_minutes=table.number("flow_minutes", defaults.flow_minutes, minimum=0.1),
        max_failures=table.integer("max_failures", defaults.max_failures, minimum=1),
        max_failures_per_source=table.integer(
            "max_failures_per_source", defaults.max_failures_per_source, minimum=1
        ),
        max_failures_per_order=table.integer(
            "max_failures_per_order", defaults.max_failures_per_order, minimum=1
        ),
        max_failures_overall=table.integer(
            "max_failures_overall", defaults.max_failures_overall, minimum=1
        ),
        failure_window_minutes=table.number(
            "failure_window_minutes", defaults.failure_window_minutes, minimum=1
        ),
        pause_minutes=table.number("pause_minutes", defaults.pause_minutes, minimum=1),
        recent_orders=table.integer("recent_orders", defaults.recent_orders, minimum=1),
        events_secret=table.secret("events_secret_env", required=False),
        http=http_settings,
    )
