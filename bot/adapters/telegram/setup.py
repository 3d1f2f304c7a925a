"""One-off Bot API set-up for `brandbot webhook …`: the webhook and the command menus.

These calls use python-telegram-bot's `Bot` (form-encoded requests); the running bot sends
replies through the outbox. The caller gives the menus the running bot's CommandMenu sets.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from telegram import Bot

from bot.adapters.telegram.menu import Menus, within_limits
from bot.adapters.telegram.update import ALLOWED_UPDATES
from bot.config.telegram import TelegramSettings

WEBHOOK_PATH = "/webhooks/telegram"


def webhook_url(url: str) -> str:
    """The full webhook URL: a bare https://host gets our /webhooks/telegram path."""
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.netloc:
        raise ValueError(f"the webhook URL must start with https:// (got {url!r})")
    if parts.path.rstrip("/").endswith(WEBHOOK_PATH):
        return url
    return url.rstrip("/") + WEBHOOK_PATH


def _bot(settings: TelegramSettings) -> Bot:
    return Bot(settings.token, base_url=f"{settings.api_base_url.rstrip('/')}/bot")


async def set_webhook(settings: TelegramSettings, url: str, menus: Menus) -> list[str]:
    """setWebhook with the secret token and the updates we handle, then the command menus.

    Returns a line for each step done, naming the commands set in each language.
    """
    if not settings.secret_token:
        raise ValueError("platforms.telegram.secret_token_env must name the secret first")
    full_url = webhook_url(url)
    done = []
    async with _bot(settings) as bot:
        await bot.set_webhook(
            full_url, secret_token=settings.secret_token, allowed_updates=list(ALLOWED_UPDATES)
        )
        done.append(f"webhook set to {full_url} ({', '.join(ALLOWED_UPDATES)})")
        for code, commands in menus.items():
            sent = within_limits(commands)
            await bot.set_my_commands(sent, language_code=code or None)
            done.append(
                f"command menu set ({code or 'default'}): /"
                + ", /".join(command for command, _ in sent)
            )
    return done


async def webhook_info(settings: TelegramSettings) -> dict[str, Any]:
    """getWebhookInfo as plain data."""
    async with _bot(settings) as bot:
        info = await bot.get_webhook_info()
    return info.to_dict()


async def delete_webhook(settings: TelegramSettings) -> None:
    """deleteWebhook, so that polling mode can use getUpdates."""
    async with _bot(settings) as bot:
        await bot.delete_webhook()
