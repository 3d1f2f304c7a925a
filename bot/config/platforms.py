"""The `[platforms.<name>]` tables: one reader per platform, in the order they are read."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Protocol

from bot.config.reader import TableReader
from bot.config.telegram import read_telegram
from bot.config.wechat import read_wechat
from bot.config.whatsapp import read_whatsapp


class PlatformSettings(Protocol):
    """The typed `[platforms.<name>]` table of one platform."""

    @property
    def enabled(self) -> bool:
        """Whether the platform is switched on (read-only, so frozen dataclasses fit)."""
        ...


# A new platform is one line here and one settings module beside this one.
READERS: Mapping[str, Callable[[TableReader], PlatformSettings]] = {
    "whatsapp": read_whatsapp,
    "telegram": read_telegram,
    "wechat": read_wechat,
}


def read_platforms(table: TableReader) -> dict[str, PlatformSettings]:
    """Every `[platforms.<name>]` table present, typed; unknown names are problems."""
    platforms: dict[str, PlatformSettings] = {}
    for name in table.table:
        if name not in READERS:
            table.problem(name, f"unknown platform (known: {', '.join(sorted(READERS))})")
    for name, read in READERS.items():
        if name in table.table:
            sub = table.subtable(name)
            platforms[name] = read(sub)
            sub.finish()
    return platforms
