"""The `[store]` settings: where state lives."""

from __future__ import annotations

from dataclasses import dataclass

from bot.config.reader import TableReader


@dataclass(frozen=True, slots=True)
class StoreSettings:
    """Where state lives."""

    path: str = "data/brandbot.db"


def read_store(table: TableReader) -> StoreSettings:
    """Read `[store]`."""
    return StoreSettings(path=table.string("path", StoreSettings().path))
