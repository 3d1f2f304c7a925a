"""`brandbot serve` (the HTTP server) and `brandbot shell` (chat in the terminal)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any, TextIO

from aiohttp import web

from bot.adapters.console.adapter import parse_line, render_text
from bot.app import build_bot
from bot.cli.common import config_of, with_config
from bot.config import Config
from bot.server.app import create_app


def serve(args: argparse.Namespace) -> int:
    """Run the HTTP server until interrupted."""
    config = config_of(args)
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
            handled = await bot.pipeline.receive(parse_line(line, user_id, bot.clock.now()))
            if handled.replies:
                out.write(render_text(handled.replies) + "\n")
            if interactive:
                out.write("\n")
            out.flush()
    finally:
        await bot.stop()


def shell(args: argparse.Namespace) -> int:
    """Chat with the bot in the terminal (works with piped input)."""
    asyncio.run(_shell(config_of(args), args.as_user, sys.stdin, sys.stdout))
    return 0


def register(commands: Any) -> None:
    """Add `serve` and `shell`."""
    run = with_config(commands.add_parser("serve", help="run the bot's HTTP server"))
    run.add_argument("--port", type=int, help="port (default from config or BRANDBOT_PORT)")
    run.add_argument("--host", help="address to listen on")
    run.set_defaults(func=serve)

    chat = with_config(commands.add_parser("shell", help="chat with the bot in the terminal"))
    chat.add_argument("--as", dest="as_user", default="shell-user", help="the user id to chat as")
    chat.set_defaults(func=shell)
