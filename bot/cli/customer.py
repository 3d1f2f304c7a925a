"""`brandbot customer export ID` (everything about a person as JSON, across linked identities)
and `brandbot customer erase ID` (their personal data removed; README "Data kept")."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from bot.cli.common import config_of, with_config
from bot.core.clock import Clock
from bot.core.errors import CommandError
from bot.store import Store, open_configured
from bot.store.privacy import Person


def _person(store: Store, reference: str) -> Person:
    person = store.privacy.find(reference)
    if person is None:
        raise CommandError(
            f"no customer {reference!r}: give a customer id (c…, as /who shows it) or"
            " platform:user_id (telegram:12345, web:v…)"
        )
    return person


def _opened(args: argparse.Namespace) -> Store:
    config = config_of(args)
    if config.store.is_postgres:
        return open_configured(config.store, config.resolve)
    path = config.resolve(config.store.path)
    if not path.is_file():
        raise CommandError(f"{path}: no such store")
    return open_configured(config.store, config.resolve)


def export(args: argparse.Namespace) -> int:
    """Print (or write to --output) everything stored about one person, as JSON."""
    store = _opened(args)
    try:
        data = store.privacy.export(_person(store, args.id), Clock().now())
    finally:
        store.close()
    text = json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        rows = sum(len(rows) for rows in data["tables"].values())
        print(f"wrote {rows} rows about {data['customer_id']} to {args.output}")
    else:
        sys.stdout.write(text)
    return 0


def erase(args: argparse.Namespace) -> int:
    """Remove a person's personal data (in one transaction), or with --dry-run say what."""
    store = _opened(args)
    try:
        person = _person(store, args.id)
        if args.dry_run:
            tables = store.privacy.export(person, Clock().now())["tables"]
            print(f"{person.root} ({', '.join(_names(person))}): would go through "
                  + ", ".join(f"{table} {len(rows)}" for table, rows in tables.items()))
            print("dry run: nothing erased")
            return 0
        who = args.who or os.environ.get("USER") or "operator"
        counts = store.privacy.erase(person, who, Clock().now())
    finally:
        store.close()
    print(f"erased {person.root} ({', '.join(_names(person))}): "
          + ", ".join(f"{table} {count}" for table, count in counts.items()))
    print("kept under the bare id: the points ledger (balance written off), referrals,"
          " coupons handed out, handoff ratings; the audit log records the erasure")
    return 0


def _names(person: Person) -> list[str]:
    return [f"{identity.platform}:{identity.user_id}" for identity in person.identities] or [
        "no identities left"
    ]


def register(commands: Any) -> None:
    """Add `customer export` and `customer erase`."""
    group = commands.add_parser("customer", help="a person's data: export or erase")
    sub = group.add_subparsers(dest="customer_command", required=True)
    out = with_config(sub.add_parser("export", help="everything about a person as JSON"))
    out.add_argument("id", help="a customer id (c…) or platform:user_id")
    out.add_argument("--output", help="write to this file instead of printing")
    out.set_defaults(func=export)
    gone = with_config(sub.add_parser("erase", help="remove a person's personal data"))
    gone.add_argument("id", help="a customer id (c…) or platform:user_id")
    gone.add_argument("--as", dest="who", help="your name in the audit log ($USER)")
    gone.add_argument("--dry-run", action="store_true", help="say what would go; erase nothing")
    gone.set_defaults(func=erase)
