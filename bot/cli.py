"""The `brandbot` command: serve, shell, kb test, orders import/paused."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Sequence
from dataclasses import replace
from typing import TextIO

from aiohttp import web

from bot.adapters.console import parse_line, render_text
from bot.app import build_bot
from bot.config import Config, load_config
from bot.errors import ConfigError
from bot.knowledge import KnowledgeBaseError

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
    await bot.start()
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


def kb_test(args: argparse.Namespace) -> int:
    """Print what the matcher makes of a question."""
    from bot.language import detect_language, to_simplified
    from bot.matching import normalize

    config = _config(args)
    bot = build_bot(config)
    try:
        question = args.question
        print(f"question:   {question}")
        print(f"language:   {detect_language(question)}")
        print(f"normalised: {normalize(to_simplified(question))}")
        candidates = bot.faqs.search(question, limit=args.limit)
        settings = config.knowledge_base
        if not candidates or candidates[0].score < settings.suggest_threshold:
            outcome = "fallback"
        elif candidates[0].score >= settings.answer_threshold:
            outcome = f"answer {candidates[0].faq_id}"
        else:
            outcome = "did you mean"
        for rank, candidate in enumerate(candidates, 1):
            parts = " ".join(f"{k}={v:.3f}" for k, v in candidate.components.items())
            print(f"{rank}. {candidate.faq_id:<24} {candidate.score:.3f}  {parts}")
            print(f"   via: {candidate.phrasing}")
        print(
            f"outcome:    {outcome} (answer ≥ {settings.answer_threshold},"
            f" suggest ≥ {settings.suggest_threshold})"
        )
    finally:
        bot.store.close()
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
        print(f"nothing imported: {error}", file=sys.stderr)
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

    kb = commands.add_parser("kb", help="knowledge-base tools")
    kb_commands = kb.add_subparsers(dest="kb_command", required=True)
    test = with_config(kb_commands.add_parser("test", help="show how a question is matched"))
    test.add_argument("question")
    test.add_argument("--limit", type=int, default=5)
    test.set_defaults(func=kb_test)

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
