"""`brandbot backup FILE` (an online copy, safe while the server runs) and `brandbot restore
FILE` (refused while a server holds the store)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from bot.cli.common import config_of, with_config
from bot.core.clock import Clock
from bot.core.errors import CommandError
from bot.store.backup import Inspection, backup_name, backup_store, restore_store


def _size(count: int) -> str:
    return f"{count / 1_000_000:.1f} MB" if count >= 100_000 else f"{count / 1000:.0f} kB"


def _summary(found: Inspection) -> str:
    return (f"{_size(found.size)}, {found.customers} customers, {len(found.migrations)}"
            f" migrations, integrity {found.integrity}")


POSTGRES_BACKUPS = (
    "the store is a PostgreSQL database: back it up with pg_dump (pg_dump -Fc -f FILE URL)"
    " and restore with pg_restore; brandbot backup and restore handle SQLite files"
)


def backup(args: argparse.Namespace) -> int:
    """Copy the store to FILE (or a dated file inside a folder) while it may be serving."""
    config = config_of(args)
    if config.store.is_postgres:
        raise CommandError(POSTGRES_BACKUPS)
    store = config.resolve(config.store.path)
    target = Path(args.file)
    if target.is_dir():
        target = target / backup_name(store, Clock().now())
    if target.exists() and not args.force:
        raise CommandError(f"{target} exists: choose another name, or add --force to replace it")
    if target.resolve() == store.resolve():
        raise CommandError(f"{target} is the store itself: choose another file")
    found, seconds = backup_store(store, target)
    print(f"backed up {store} to {target} in {seconds:.2f} s: {_summary(found)}")
    return 0


def restore(args: argparse.Namespace) -> int:
    """Put a backup in place of the store; refused while a server is running on it."""
    config = config_of(args)
    if config.store.is_postgres:
        raise CommandError(POSTGRES_BACKUPS)
    store = config.resolve(config.store.path)
    source = Path(args.file)
    if source.exists() and source.resolve() == store.resolve():
        raise CommandError(f"{source} is the store itself: name a backup file")
    found, kept = restore_store(source, store, Clock().now())
    print(f"restored {source} into {store}: {_summary(found)}")
    if kept is not None:
        print(f"the store it replaced is kept as {kept}")
    return 0


def register(commands: Any) -> None:
    """Add `backup` and `restore`."""
    take = with_config(commands.add_parser(
        "backup", help="copy the store to FILE (safe while the server runs)"
    ))
    take.add_argument("file", help="the backup file, or a folder for a dated one")
    take.add_argument("--force", action="store_true", help="replace FILE if it exists")
    take.set_defaults(func=backup)
    put = with_config(commands.add_parser(
        "restore", help="replace the store with a backup (stop the server first)"
    ))
    put.add_argument("file", help="a file written by `brandbot backup`")
    put.set_defaults(func=restore)
