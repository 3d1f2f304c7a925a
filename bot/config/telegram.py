"""The `[platforms.telegram]` settings: the bot token, the webhook secret, webhook or polling."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.config.reader import TableReader

# setWebhook's secret_token: 1-256 of A-Z a-z 0-9 _ - (docs/platforms.md §2.1).
SECRET_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,256}")


@dataclass(frozen=True, slots=True)
class TelegramSettings:
    """The `[platforms.telegram]` table."""

    enabled: bool = False
    token: str = field(default="", repr=False)
    secret_token: str = field(default="", repr=False)
    api_base_url: str = "https://api.telegram.org"
    mode: str = "webhook"
    bot_username: str = ""
    poll_timeout_seconds: int = 30


def read_telegram(table: TableReader) -> TelegramSettings:
    """Read `[platforms.telegram]`; the token and secret come from the named env vars."""
    defaults = TelegramSettings()
    enabled = table.boolean("enabled", defaults.enabled)
    mode = table.string("mode", defaults.mode, choices=("webhook", "polling"))
    secret = table.secret("secret_token_env", required=enabled and mode == "webhook")
    if secret and not SECRET_PATTERN.fullmatch(secret):
        table.problem("secret_token_env", "the secret must be 1-256 of A-Z a-z 0-9 _ -")
    return TelegramSettings(
        enabled=enabled,
        token=table.secret("token_env", required=enabled),
        secret_token=secret,
        api_base_url=table.string("api_base_url", defaults.api_base_url),
        mode=mode,
        bot_username=table.string("bot_username").lstrip("@"),
        poll_timeout_seconds=table.integer(
            "poll_timeout_seconds", defaults.poll_timeout_seconds, minimum=0
        ),
    )
