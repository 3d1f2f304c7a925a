"""`brandbot serve` (the HTTP server) and `brandbot shell` (chat in the terminal)."""

from __future__ import annotations

import argparse
import asyncio
import errno
import socket
import sys
from contextlib import AbstractContextManager, nullcontext
from typing import Any, TextIO

from aiohttp import web

from bot.adapters.console.adapter import parse_line, render_text
from bot.app import build_bot
from bot.cli.common import config_of, with_config
from bot.config import Config
from bot.core.errors import CommandError
from bot.server.app import create_app
from bot.store.lock import StoreLock


def listen(host: str, port: int) -> socket.socket:
    """The server's socket, bound before anything starts: a port in use is one clear line."""
    try:
        family, kind, protocol, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror:
        raise CommandError(f"cannot listen on {host!r}: no such address on this machine") from None
    sock = socket.socket(family, kind, protocol)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError as error:
        sock.close()
        if error.errno == errno.EADDRINUSE:
            raise CommandError(
                f"port {port} on {host} is in use (another brandbot serve?): stop it, or"
                " choose another with --port or BRANDBOT_PORT"
            ) from None
        raise CommandError(f"cannot listen on {host}:{port}: {error.strerror}") from None
    return sock


def _held(config: Config) -> AbstractContextManager[object]:
    """A SQLite file's shared lock (a restore waits for it); a PostgreSQL store has none."""
    if config.store.is_postgres:
        return nullcontext()
    return StoreLock(config.resolve(config.store.path))


def serve(args: argparse.Namespace) -> int:
    """Run the HTTP server until interrupted."""
    config = config_of(args)
    sock = listen(config.server.host, config.server.port)
    # Shared with other servers on the same file; a restore waits for all of them to stop.
    with _held(config):
        bot = build_bot(config)
        host, port = sock.getsockname()[:2]
        print(
            f"brandbot for {config.bot.brand}: web chat on http://{host}:{port}/"
            f" (store {bot.store.db.path})",
            flush=True,
        )
        web.run_app(create_app(bot), sock=sock, print=None, access_log=None)
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
    config = config_of(args)
    with _held(config):
        asyncio.run(_shell(config, args.as_user, sys.stdin, sys.stdout))
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
