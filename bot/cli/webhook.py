"""`brandbot webhook set|info|delete telegram`: registering the bot's webhook with Telegram."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

from telegram.error import TelegramError

from bot.adapters.telegram.setup import delete_webhook, set_webhook, webhook_info
from bot.app import telegram_menus
from bot.cli.common import config_of, with_config
from bot.config import Config
from bot.config.telegram import TelegramSettings
from bot.core.errors import ConfigError
from bot.kb.seed import load_texts


def _telegram_settings(config: Config) -> TelegramSettings:
    settings = config.platforms.get("telegram")
    if not isinstance(settings, TelegramSettings) or not settings.enabled:
        raise ConfigError(["platforms.telegram: set enabled = true (and token_env) first"])
    return settings


def register_webhook(args: argparse.Namespace) -> int:
    """Point Telegram at our webhook (with the secret token) and set the running bot's menus."""
    config = config_of(args)
    settings = _telegram_settings(config)
    menus = telegram_menus(config, load_texts(config.resolve(config.knowledge_base.path)))
    try:
        done = asyncio.run(set_webhook(settings, args.url, menus))
    except ValueError as error:
        print(error, file=sys.stderr)
        return 2
    except TelegramError as error:
        print(f"Telegram refused: {error}", file=sys.stderr)
        return 1
    print("\n".join(done))
    return 0


def show_webhook(args: argparse.Namespace) -> int:
    """Print what Telegram knows of our webhook (getWebhookInfo)."""
    settings = _telegram_settings(config_of(args))
    try:
        info = asyncio.run(webhook_info(settings))
    except TelegramError as error:
        print(f"Telegram refused: {error}", file=sys.stderr)
        return 1
    for key, value in info.items():
        shown = value if isinstance(value, str | int) else json.dumps(value, ensure_ascii=False)
        print(f"{key}: {shown}")
    return 0


def remove_webhook(args: argparse.Namespace) -> int:
    """Remove the webhook so that `mode = "polling"` can fetch updates."""
    settings = _telegram_settings(config_of(args))
    try:
        asyncio.run(delete_webhook(settings))
    except TelegramError as error:
        print(f"Telegram refused: {error}", file=sys.stderr)
        return 1
    print("webhook deleted")
    return 0


def register(commands: Any) -> None:
    """Add `webhook set|info|delete`."""
    webhook = commands.add_parser("webhook", help="register the bot's webhook with a platform")
    webhook_commands = webhook.add_subparsers(dest="webhook_command", required=True)
    register = with_config(webhook_commands.add_parser("set", help="set webhook and menu"))
    register.add_argument("platform", choices=["telegram"])
    register.add_argument("--url", required=True, help="https://your.host (or the full URL)")
    register.set_defaults(func=register_webhook)
    show = with_config(webhook_commands.add_parser("info", help="show the platform's view"))
    show.add_argument("platform", choices=["telegram"])
    show.set_defaults(func=show_webhook)
    remove = with_config(webhook_commands.add_parser("delete", help="remove the webhook"))
    remove.add_argument("platform", choices=["telegram"])
    remove.set_defaults(func=remove_webhook)
