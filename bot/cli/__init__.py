"""The `brandbot` command: serve, shell, webhook, wechat, orders, outbox, kb, staff, backup,
store and customer, one module each; every failure a user can cause is one clear line, never a
traceback."""

from __future__ import annotations

import argparse
import logging
import sqlite3
import sys
from collections.abc import Sequence

import psycopg

from bot.cli import backup, customer, kb, orders, outbox, serve, staff, store, webhook, wechat
from bot.cli.logs import LOGS
from bot.core.errors import (
    CommandError,
    ConfigError,
    KnowledgeBaseError,
    StoreFileError,
    StoreUnavailable,
)
from bot.core.version import VERSION


def parser() -> argparse.ArgumentParser:
    """The command-line grammar."""
    main = argparse.ArgumentParser(prog="brandbot", description=__doc__)
    main.add_argument("--version", action="version", version=f"brandbot {VERSION}")
    main.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    commands = main.add_subparsers(dest="command", required=True)
    for module in (serve, webhook, wechat, kb, orders, outbox, staff, backup, store, customer):
        module.register(commands)
    return main


def describe(error: OSError) -> str:
    """An operating-system error as one line: the file and what is wrong with it."""
    where = f"{error.filename}: " if error.filename else ""
    if isinstance(error, FileExistsError | NotADirectoryError):
        # Creating a folder where a file is (a store path through a file): say it plainly.
        return f"{where}not a folder (a file of that name is in the way)"
    return f"{where}{error.strerror or error}"


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `brandbot` command."""
    args = parser().parse_args(argv)
    LOGS.install(
        logging.DEBUG if args.verbose else logging.INFO if args.command == "serve"
        else logging.WARNING
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
    except (CommandError, StoreFileError) as error:
        print(f"brandbot: {error}", file=sys.stderr)
        return 1
    except OSError as error:
        print(f"brandbot: {describe(error)}", file=sys.stderr)
        return 1
    except (sqlite3.Error, psycopg.Error, StoreUnavailable) as error:
        print(f"brandbot: the store cannot be used: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
