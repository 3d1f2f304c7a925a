"""The `brandbot` command: serve, shell, webhook, orders; the kb commands are in bot/kb_cli.py."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, TextIO

from aiohttp import web
from telegram.error import TelegramError

from bot import kb_cli
from bot.adapters.console import parse_line, render_text
from bot.app import build_bot
from bot.config import Config, load_config
from bot.errors import ConfigError
from bot.knowledge import KnowledgeBaseError

if TYPE_CHECKING:
    from bot.adapters.telegram import TelegramSettings

log = logging.getLogger(__name__)


def _config(args: argparse.Namespace) -> Config:
    config = load_config(args.config)
    if getattr(args, "port", None) is not None:
        config = replace(config, server=replace(config.server, port=args.port))
    if getattr(args, "host", None):
        config = replace(config, server=replace(config.server, host=args.host))
    return config


def serve(args: argparse.Namespace) -> int:
    """Run the HTTP server until interrupted."""
    from bot.server import create_app

    config = _config(args)
    bot = build_bot(config)
    print(
        f"brandbot for {config.bot.brand}: web chat on http://{config.server.host}:"
        f"{config.server.port}/ (store {config.resolve(config.store.path)})",
        flush=True,
    )
    web.run_app(
        create_app(bot), host=config.server.host, port=config.server.port, print=None,
        access_log=None,
    )
    return 0


async def _shell(config: Config, user_id: str, lines: TextIO, out: TextIO) -> None:
    bot = build_bot(config)
    await bot.start(loops=False)  # the shell must not also poll Telegram beside `serve`
    interactive = lines.isatty()
    try:
        if interactive:
            out.write(f"{config.bot.brand} — type a question, Ctrl-D to leave.\n")
        while True:
            if interactive:
                out.write("> ")
                out.flush()
            line = await asyncio.to_thread(lines.readline)
            if not line:
                break
            if not line.strip():
                continue
            handled = await bot.pipeline.receive(parse_line(line, user_id))
            if handled.replies:
                out.write(render_text(handled.replies) + "\n")
            if interactive:
                out.write("\n")
            out.flush()
    finally:
        await bot.stop()


def shell(args: argparse.Namespace) -> int:
    """Chat with the bot in the terminal (works with piped input)."""
    asyncio.run(_shell(_config(args), args.as_user, sys.stdin, sys.stdout))
    return 0


def _telegram_settings(config: Config) -> TelegramSettings:
    from bot.adapters.telegram import TelegramSettings

    settings = config.platforms.get("telegram")
    if not isinstance(settings, TelegramSettings) or not settings.enabled:
        raise ConfigError(["platforms.telegram: set enabled = true (and token_env) first"])
    return settings


def webhook_set(args: argparse.Namespace) -> int:
    """Point Telegram at our webhook (with the secret token) and set the command menu."""
    from bot.adapters.telegram_setup import set_webhook
    from bot.knowledge import load_texts

    config = _config(args)
    settings = _telegram_settings(config)
    texts = load_texts(config.resolve(config.knowledge_base.path))
    try:
        done = asyncio.run(set_webhook(settings, args.url, texts, config.bot.default_language))
    except ValueError as error:
        print(error, file=sys.stderr)
        return 2
    except TelegramError as error:
        print(f"Telegram refused: {error}", file=sys.stderr)
        return 1
    print("\n".join(done))
    return 0


def webhook_info(args: argparse.Namespace) -> int:
    """Print what Telegram knows of our webhook (getWebhookInfo)."""
    from bot.adapters.telegram_setup import webhook_info as fetch_info

    settings = _telegram_settings(_config(args))
    try:
        info = asyncio.run(fetch_info(settings))
    except TelegramError as error:
        print(f"Telegram refused: {error}", file=sys.stderr)
        return 1
    for key, value in info.items():
        shown = value if isinstance(value, str | int) else json.dumps(value, ensure_ascii=False)
        print(f"{key}: {shown}")
    return 0


def webhook_delete(args: argparse.Namespace) -> int:
    """Remove the webhook so that `mode = "polling"` can fetch updates."""
    from bot.adapters.telegram_setup import delete_webhook

    settings = _telegram_settings(_config(args))
    try:
        asyncio.run(delete_webhook(settings))
    except TelegramError as error:
        print(f"Telegram refused: {error}", file=sys.stderr)
        return 1
    print("webhook deleted")
    return 0


def orders_import(args: argparse.Namespace) -> int:
    """Upsert orders from a CSV or JSON file and report every rejected row."""
    from pathlib import Path

    from bot.clock import Clock
    from bot.orders_import import OrderFileError, import_orders
    from bot.store import open_store

    config = _config(args)
    store = open_store(config.resolve(config.store.path))

    def progress(done: int, total: int) -> None:
        if total >= 1000:  # small files finish before a progress line would help
            print(f"\r{done}/{total} rows", end="" if done < total else "\n", file=sys.stderr,
                  flush=True)

    try:
        report = import_orders(Path(args.file), store, Clock().now(), progress)
    except OrderFileError as error:
        print("nothing imported: the file cannot be read as a whole", file=sys.stderr)
        for problem in error.problems:
            print(f"  {problem}", file=sys.stderr)
        return 2
    finally:
        store.close()
    for where, reason in report.rejected:
        print(f"rejected {where}: {reason}")
    print(report.summary())
    return 1 if report.rejected else 0


def orders_paused(args: argparse.Namespace) -> int:
    """List customers paused from order lookups after too many failed tries."""
    from bot.clock import Clock
    from bot.store import open_store

    config = _config(args)
    store = open_store(config.resolve(config.store.path))
    try:
        rows = store.orders.paused(Clock().now())
    finally:
        store.close()
    for row in rows:
        print(f"{row['customer_id']}  {row['failures']} failures  paused until"
              f" {row['paused_until']}")
    print(f"{len(rows)} customers paused")
    return 0


def parser() -> argparse.ArgumentParser:
    """The command-line grammar."""
    main = argparse.ArgumentParser(prog="brandbot", description=__doc__)
    main.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    commands = main.add_subparsers(dest="command", required=True)

    def with_config(sub: argparse.ArgumentParser) -> argparse.ArgumentParser:
        sub.add_argument("--config", default=os.environ.get("BRANDBOT_CONFIG", "config.toml"))
        return sub

    run = with_config(commands.add_parser("serve", help="run the bot's HTTP server"))
    run.add_argument("--port", type=int, help="port (default from config or BRANDBOT_PORT)")
    run.add_argument("--host", help="address to listen on")
    run.set_defaults(func=serve)

    chat = with_config(commands.add_parser("shell", help="chat with the bot in the terminal"))
    chat.add_argument("--as", dest="as_user", default="shell-user", help="the user id to chat as")
    chat.set_defaults(func=shell)

    webhook = commands.add_parser("webhook", help="register the bot's webhook with a platform")
    webhook_commands = webhook.add_subparsers(dest="webhook_command", required=True)
    register = with_config(webhook_commands.add_parser("set", help="set webhook and menu"))
    register.add_argument("platform", choices=["telegram"])
    register.add_argument("--url", required=True, help="https://your.host (or the full URL)")
    register.set_defaults(func=webhook_set)
    show = with_config(webhook_commands.add_parser("info", help="show the platform's view"))
    show.add_argument("platform", choices=["telegram"])
    show.set_defaults(func=webhook_info)
    remove = with_config(webhook_commands.add_parser("delete", help="remove the webhook"))
    remove.add_argument("platform", choices=["telegram"])
    remove.set_defaults(func=webhook_delete)
    kb_cli.register(commands, with_config, _config)
    orders = commands.add_parser("orders", help="order tools")
    order_commands = orders.add_subparsers(dest="orders_command", required=True)
    load = with_config(order_commands.add_parser(
        "import", help="upsert orders from FILE.csv or FILE.json (by order number)"
    ))
    load.add_argument("file")
    load.set_defaults(func=orders_import)
    paused = with_config(order_commands.add_parser(
        "paused", help="customers paused from order lookups after failed tries"
    ))
    paused.set_defaults(func=orders_paused)
    return main


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `brandbot` command."""
    args = parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO if args.command == "serve"
        else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        return int(args.func(args))
    except ConfigError as error:
        print("config.toml has problems:", file=sys.stderr)
        for problem in error.problems:
            print(f"  - {problem}", file=sys.stderr)
        return 2
    except KnowledgeBaseError as error:
        print("the knowledge base has problems:", file=sys.stderr)
        for problem in error.problems:
            print(f"  - {problem}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
