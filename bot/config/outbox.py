"""The `[outbox]` settings: how outbound sends are retried."""

from __future__ import annotations

from dataclasses import dataclass

from bot.config.reader import TableReader


@dataclass(frozen=True, slots=True)
class OutboxSettings:
    """How the outbox retries."""

    max_attempts: int = 8
    base_delay_seconds: float = 1.0
    max_delay_seconds: float = 300.0
    timeout_seconds: float = 10.0
    poll_interval_seconds: float = 0.5
    lease_seconds: float = 60.0


def read_outbox(table: TableReader) -> OutboxSettings:
    """Read `[outbox]`."""
    defaults = OutboxSettings()
    return OutboxSettings(
        max_attempts=table.integer("max_attempts", defaults.max_attempts, minimum=1),
        base_delay_seconds=table.number(
            "base_delay_seconds", defaults.base_delay_seconds, minimum=0
        ),
        max_delay_seconds=table.number("max_delay_seconds", defaults.max_delay_seconds, minimum=0),
        timeout_seconds=table.number("timeout_seconds", defaults.timeout_seconds, minimum=0.1),
        poll_interval_seconds=table.number(
            "poll_interval_seconds", defaults.poll_interval_seconds, minimum=0.01
        ),
        lease_seconds=table.number("lease_seconds", defaults.lease_seconds, minimum=1),
    )
