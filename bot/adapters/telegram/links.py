"""Telegram's own links: t.me deep links that open the bot with `/start <payload>`."""

from __future__ import annotations

import re

from bot.core.adapter import Invite, InviteKind

DEEP_LINK_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,64}")  # docs/platforms.md §2.2


def deep_link(bot_username: str, payload: str) -> str:
    """A t.me link that opens the bot and sends `/start <payload>` (referrals, campaigns)."""
    if not DEEP_LINK_PATTERN.fullmatch(payload):
        raise ValueError("a deep-link payload is 1-64 of A-Z a-z 0-9 _ -")
    return f"https://t.me/{bot_username}?start={payload}"


class TelegramPlatform:
    """What Telegram offers features: a deep link per referral, and a /start on arrival."""

    name = "telegram"
    arrives_by_message = False  # /start is the arrival

    def __init__(self, bot_username: str) -> None:
        self.bot_username = bot_username.lstrip("@")

    def invite(self, payload: str, prefill: str) -> Invite | None:
        """A deep link carrying `payload`, when the bot's username is known."""
        if not self.bot_username or not DEEP_LINK_PATTERN.fullmatch(payload):
            return None
        return Invite(InviteKind.LINK, deep_link(self.bot_username, payload))
