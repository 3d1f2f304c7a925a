"""The `[store]` settings: where state lives."""

from __future__ import annotations

from dataclasses import dataclass

from bot.config.reader import TableReader

SYNCHRONOUS = ("NORMAL", "FULL")


@dataclass(frozen=True, slots=True)
class StoreSettings:
    """Where state lives."""

    path: str = "data/brandbot.db"
    # How long a statement waits for another writer's lock before the request gets 503.
    busy_timeout_ms: int = 100
    # NORMAL: a commit survives the process being killed; FULL: also a power cut (an fsync
    # per commit, which group commit shares among the messages handled at once).
    synchronous: str = "NORMAL"
    # Concurrent messages' writes committed together (bot/store/database.py).
    group_commit: bool = True


def read_store(table: TableReader) -> StoreSettings:
    """Read `[store]`."""
    defaults = StoreSettings()
    return StoreSettings(
        path=table.string("path", defaults.path),
        busy_timeout_ms=table.integer("busy_timeout_ms", defaults.busy_timeout_ms, minimum=1),
        synchronous=table.string("synchronous", defaults.synchronous, choices=SYNCHRONOUS),
        group_commit=table.boolean("group_commit", defaults.group_commit),
    )
