"""`brandbot store copy --from sqlite:FILE --to postgresql://…`: a brand's store moved from its
SQLite file into a PostgreSQL database, every table's count verified."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from bot.cli.progress import Progress
from bot.config.store import url_problem
from bot.core.errors import CommandError
from bot.store import open_store
from bot.store.copying import copy_store
from bot.store.lock import StoreLock
from bot.store.postgres.database import shown_url

SQLITE = "sqlite:"


def _source(location: str) -> Path:
    if not location.startswith(SQLITE):
        raise CommandError(f"--from must be sqlite:FILE (got {location!r})")
    path = Path(location[len(SQLITE):]).expanduser()
    if not path.is_file():
        raise CommandError(f"{path}: no such store file")
    return path


def _password(args: argparse.Namespace) -> str:
    if not args.password_env:
        return ""  # libpq's own ways still apply: PGPASSWORD, ~/.pgpass
    value = os.environ.get(args.password_env)
    if not value:
        raise CommandError(f"the environment variable {args.password_env} is not set")
    return value


def copy(args: argparse.Namespace) -> int:
    """Copy the SQLite store into a PostgreSQL database and compare the counts."""
    path = _source(args.source)
    if (problem := url_problem(args.target)) is not None:
        raise CommandError(f"--to {problem}")
    password = _password(args)
    # No server may write to the file meanwhile: what it took during the copy would stay
    # behind. Holding the lock also keeps one from starting until the copy is done.
    with StoreLock(path, exclusive=True):
        source = open_store(path)
        try:
            target = open_store(args.target, password=password)
            try:
                report = copy_store(source, target, Progress("copying rows"))
            finally:
                target.close()
        finally:
            source.close()
    print(f"copied {report.rows} rows in {len(report.counts)} tables from {path} to"
          f" {shown_url(args.target)} in {report.seconds:.1f} s; every table's count matches"
          f" (ledger: {report.ledger_points} points in both)")
    if args.verbose_counts:
        for table, count in sorted(report.counts.items()):
            print(f"  {table}: {count}")
    print(f'next: set [store] url = "{shown_url(args.target)}" (and password_env) in'
          " config.toml, then start the servers")
    return 0


def register(commands: Any) -> None:
    """Add `store copy`."""
    store = commands.add_parser("store", help="move the store between backends")
    actions = store.add_subparsers(dest="action", required=True)
    take = actions.add_parser(
        "copy", help="copy a SQLite store into a new PostgreSQL database (stop the server first)"
    )
    take.add_argument("--from", dest="source", required=True, metavar="sqlite:FILE",
                      help="the SQLite store file, e.g. sqlite:data/brandbot.db")
    take.add_argument("--to", dest="target", required=True, metavar="postgresql://…",
                      help="the PostgreSQL database, e.g. postgresql://brandbot@db/brandbot")
    take.add_argument("--password-env", default="",
                      help="the environment variable holding the database password")
    take.add_argument("--counts", dest="verbose_counts", action="store_true",
                      help="list every table's row count")
    take.set_defaults(func=copy)
