"""One-off Bot API set-up for `brandbot webhook …`: the webhook and the command menu.

These calls use python-telegram-bot's `Bot` (form-encoded requests); the running bot sends
through the outbox instead.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from telegram import Bot, BotCommand

from bot.adapters.telegram.update import ALLOWED_UPDATES
from bot.config.telegram import TelegramSettings
from bot.core.texts import Texts

WEBHOOK_PATH = "/webhooks/telegram"
# The command menu: command -> canned text key of its description (replies.toml).
COMMANDS = (("start", "telegram_command_start"), ("help", "telegram_command_help"))
# setMyCommands takes two-letter codes; no code is the menu for everyone else.
MENU_LANGUAGES = (("zh", "zh-Hans"), ("en", "en"))


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


def menu(texts: Texts, language: str) -> list[BotCommand]:
    """The command menu in one language."""
    return [BotCommand(command, texts.get(key, language)) for command, key in COMMANDS]


async def set_webhook(
    settings: TelegramSettings, url: str, texts: Texts, default_language: str
) -> list[str]:
    """setWebhook with the secret token and the updates we handle, then the command menus."""
    if not settings.secret_token:
        raise ValueError("platforms.telegram.secret_token_env must name the secret first")
    full_url = webhook_url(url)
    done = []
    async with _bot(settings) as bot:
        await bot.set_webhook(
            full_url, secret_token=settings.secret_token, allowed_updates=list(ALLOWED_UPDATES)
        )
        done.append(f"webhook set to {full_url} ({', '.join(ALLOWED_UPDATES)})")
        await bot.set_my_commands(menu(texts, default_language))
        for code, language in MENU_LANGUAGES:
            await bot.set_my_commands(menu(texts, language), language_code=code)
        done.append(
            "command menu set: /" + ", /".join(command for command, _ in COMMANDS)
            + f" (default {default_language}; " + ", ".join(c for c, _ in MENU_LANGUAGES) + ")"
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
