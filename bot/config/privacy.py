"""The `[privacy]` settings: how long conversations are kept."""

from __future__ import annotations

from dataclasses import dataclass

from bot.config.reader import TableReader


@dataclass(frozen=True, slots=True)
class PrivacySettings:
    """How long personal data that only serves the conversation is kept."""

    # Conversation-log lines older than this many days are deleted once a day (0: never).
    conversation_days: int = 365


def read_privacy(table: TableReader) -> PrivacySettings:
    """Read `[privacy]`."""
    defaults = PrivacySettings()
    return PrivacySettings(
        conversation_days=table.integer(
            "conversation_days", defaults.conversation_days, minimum=0, maximum=36500
        ),
    )
