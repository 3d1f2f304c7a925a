"""`brandbot outbox list|retry`: sends waiting or given up on, and failed ones sent again."""

from __future__ import annotations

import argparse
from typing import Any

from bot.cli.common import config_of, with_config
from bot.core.clock import Clock
from bot.store import open_configured

STATUSES = ("pending", "sending", "failed", "undeliverable", "sent")


def outbox_list(args: argparse.Namespace) -> int:
    """Print the counts per status, then the newest rows of the statuses asked for."""
    config = config_of(args)
    store = open_configured(config.store, config.resolve)
    try:
        counts = store.outbox.counts()
        print(", ".join(f"{status} {n}" for status, n in sorted(counts.items())) or "empty")
        statuses = tuple(args.status or ("pending", "sending", "failed", "undeliverable"))
        for row in store.outbox.list(statuses, args.limit):
            error = f"  {row.last_error}" if row.last_error else ""
            print(f"#{row.id} {row.status} {row.request.platform}:{row.request.chat_id}"
                  f" attempts {row.attempts} since {row.created_at:%Y-%m-%d %H:%M}{error}")
    finally:
        store.close()
    return 0


def outbox_retry(args: argparse.Namespace) -> int:
    """Make failed rows due again; a running server sends them within its poll interval."""
    config = config_of(args)
    store = open_configured(config.store, config.resolve)
    try:
        count = store.outbox.retry(Clock().now(), None if args.all else args.id)
    finally:
        store.close()
    if not count and not args.all:
        print(f"#{args.id} is not a failed send")
        return 1
    print(f"{count} failed sends will be tried again")
    return 0


def register(commands: Any) -> None:
    """Add `outbox list` and `outbox retry`."""
    outbox = commands.add_parser("outbox", help="the sends waiting or given up on")
    sub = outbox.add_subparsers(dest="outbox_command", required=True)
    listed = with_config(sub.add_parser("list", help="counts, then the newest rows"))
    listed.add_argument("--status", action="append", choices=STATUSES,
                        help="only these statuses (repeatable; default: all but sent)")
    listed.add_argument("--limit", type=int, default=20)
    listed.set_defaults(func=outbox_list, status=None)
    retry = with_config(sub.add_parser("retry", help="send failed rows again"))
    which = retry.add_mutually_exclusive_group(required=True)
    which.add_argument("id", nargs="?", type=int, help="one row's id")
    which.add_argument("--all", action="store_true", help="every failed row")
    retry.set_defaults(func=outbox_retry)
