"""The `[bot]` settings: who the bot speaks for, its time zone and first language."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.config.reader import TableReader

LANGUAGES = ("zh-Hans", "zh-Hant", "en")


@dataclass(frozen=True, slots=True)
class BotSettings:
    """Who the bot speaks for."""

    brand: str = "Cloud Leaf Tea"
    timezone: str = "Asia/Shanghai"
    default_language: str = "zh-Hans"

    @property
    def zone(self) -> ZoneInfo:
        """The brand's time zone."""
        return ZoneInfo(self.timezone)


def read_bot(table: TableReader) -> BotSettings:
    """Read `[bot]`."""
    defaults = BotSettings()
    settings = BotSettings(
        brand=table.string("brand", defaults.brand),
        timezone=table.string("timezone", defaults.timezone),
        default_language=table.string(
            "default_language", defaults.default_language, choices=LANGUAGES
        ),
    )
    try:
        ZoneInfo(settings.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        table.problem("timezone", f"unknown time zone {settings.timezone!r}")
    return settings
