"""`brandbot orders import|paused`: loading the shop's orders, and who is paused from lookups."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from bot.cli.common import config_of, with_config
from bot.core.clock import Clock
from bot.core.errors import OrderFileError
from bot.orders.importer import import_orders
from bot.store import open_configured


def orders_import(args: argparse.Namespace) -> int:
    """Upsert orders from a CSV or JSON file and report every rejected row."""
    config = config_of(args)
    store = open_configured(config.store, config.resolve)

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
    config = config_of(args)
    store = open_configured(config.store, config.resolve)
    try:
        rows = store.orders.attempts.paused(Clock().now())
    finally:
        store.close()
    for row in rows:
        print(f"{row['customer_id']}  {row['failures']} failures  paused until"
              f" {row['paused_until']}")
    print(f"{len(rows)} customers paused")
    return 0


def register(commands: Any) -> None:
    """Add `orders import` and `orders paused`."""
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
