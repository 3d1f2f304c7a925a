"""The `[store]` settings: where state lives."""

from __future__ import annotations

from dataclasses import dataclass

from bot.config.reader import TableReader


@dataclass(frozen=True, slots=True)
class StoreSettings:
    """Where state lives."""

    path: str = "data/brandbot.db"
    # How long a statement waits for another writer's lock before the request gets 503.
    busy_timeout_ms: int = 100


def read_store(table: TableReader) -> StoreSettings:
    """Read `[store]`."""
    defaults = StoreSettings()
    return StoreSettings(
        path=table.string("path", defaults.path),
        busy_timeout_ms=table.integer("busy_timeout_ms", defaults.busy_timeout_ms, minimum=1),
    )
