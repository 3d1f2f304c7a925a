"""The `[privacy]` settings: how long conversations and the records around them are kept."""

from __future__ import annotations

from dataclasses import dataclass

from bot.config.reader import TableReader

MAX_DAYS = 36500


@dataclass(frozen=True, slots=True)
class PrivacySettings:
    """How long personal data that only serves the conversation is kept (0: for ever)."""

    # Conversation-log lines older than this many days are deleted (hourly check).
    conversation_days: int = 365
    # Handled deliveries (the platform's payload and the replies it got): a platform's
    # retry is answered from them, and platforms stop retrying within days (Meta: 7).
    delivery_days: int = 14
    # Sends that reached the platform (or could not: undeliverable); receipts come within
    # days, and `/outbox` shows the recent ones.
    sent_days: int = 14
    # Sends given up on stay longer: operators look at them and may send them again.
    failed_days: int = 90
    # Authentic requests that could not be parsed, kept for someone to read.
    dead_letter_days: int = 90


def read_privacy(table: TableReader) -> PrivacySettings:
    """Read `[privacy]`."""
    defaults = PrivacySettings()

    def days(key: str, default: int) -> int:
        return table.integer(key, default, minimum=0, maximum=MAX_DAYS)

    return PrivacySettings(
        conversation_days=days("conversation_days", defaults.conversation_days),
        delivery_days=days("delivery_days", defaults.delivery_days),
        sent_days=days("sent_days", defaults.sent_days),
        failed_days=days("failed_days", defaults.failed_days),
        dead_letter_days=days("dead_letter_days", defaults.dead_letter_days),
    )
