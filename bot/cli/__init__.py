"""The `brandbot` command: serve, shell, webhook, orders, kb and staff, one module each."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from bot.cli import kb, orders, outbox, serve, staff, webhook, wechat
from bot.core.errors import ConfigError, KnowledgeBaseError


def parser() -> argparse.ArgumentParser:
    """The command-line grammar."""
    main = argparse.ArgumentParser(prog="brandbot", description=__doc__)
    main.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    commands = main.add_subparsers(dest="command", required=True)
    for module in (serve, webhook, wechat, kb, orders, outbox, staff):
        module.register(commands)
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
