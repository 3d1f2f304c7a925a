"""The `[outbox]` settings: how outbound sends are retried, leased and spread."""

from __future__ import annotations

from dataclasses import dataclass

from bot.config.reader import TableReader


@dataclass(frozen=True, slots=True)
class OutboxSettings:
    """How the outbox retries."""

    retry_hours: float = 24.0  # a reply is retried this long (through a platform's outage)
    max_attempts: int = 0  # 0: no cap but the hours above
    base_delay_seconds: float = 1.0
    max_delay_seconds: float = 300.0
    timeout_seconds: float = 10.0
    poll_interval_seconds: float = 0.5
    # A sender that died is replaced after this (a row it had sent but not marked is then
    # sent again: keep it short, but above timeout_seconds).
    lease_seconds: float = 15.0
    concurrency: int = 16  # sends on the wire at once, per platform


def read_outbox(table: TableReader) -> OutboxSettings:
    """Read `[outbox]`."""
    defaults = OutboxSettings()
    settings = OutboxSettings(
        retry_hours=table.number("retry_hours", defaults.retry_hours, minimum=0),
        max_attempts=table.integer("max_attempts", defaults.max_attempts, minimum=0),
        base_delay_seconds=table.number(
            "base_delay_seconds", defaults.base_delay_seconds, minimum=0
        ),
        max_delay_seconds=table.number("max_delay_seconds", defaults.max_delay_seconds, minimum=0),
        timeout_seconds=table.number("timeout_seconds", defaults.timeout_seconds, minimum=0.1),
        poll_interval_seconds=table.number(
            "poll_interval_seconds", defaults.poll_interval_seconds, minimum=0.01
        ),
        lease_seconds=table.number("lease_seconds", defaults.lease_seconds, minimum=0.1),
        concurrency=table.integer("concurrency", defaults.concurrency, minimum=1),
    )
    if settings.lease_seconds <= settings.timeout_seconds and "lease_seconds" in table.table:
        table.problem("lease_seconds", "must be longer than timeout_seconds")
    return settings
