"""Backups of the store file: SQLite's online backup (safe while a server writes), checked,
written atomically; restoring one in place of a store that no server holds; daily rotation.
"""

from __future__ import annotations

import os
import re
import sqlite3
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bot.core.errors import StoreFileError
from bot.store.lock import StoreLock
from bot.store.migrations import MIGRATIONS

SUFFIX = ".db"
STAMP = "%Y%m%d-%H%M%S"


@dataclass(frozen=True, slots=True)
class Inspection:
    """What a store file holds, as far as a restore must know."""

    path: Path
    size: int
    integrity: str  # "ok", or SQLite's first complaint
    migrations: tuple[str, ...]
    customers: int

    @property
    def unknown_migrations(self) -> list[str]:
        """Migrations recorded in the file that this version of brandbot does not know."""
        known = {migration.id for migration in MIGRATIONS}
        return [name for name in self.migrations if name not in known]


def _connect(path: Path) -> sqlite3.Connection:
    """An existing SQLite file (never a new one), or StoreFileError saying why not."""
    if not path.is_file():
        raise StoreFileError(f"{path}: no such file")
    try:
        connection = sqlite3.connect(f"file:{path}?mode=rw", uri=True, isolation_level=None)
        connection.execute("PRAGMA busy_timeout = 5000")
        connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.DatabaseError as error:
        raise StoreFileError(f"{path}: not a SQLite database ({error})") from None
    return connection


def inspect_store(path: Path) -> Inspection:
    """Check a store or backup file: integrity, migrations, how many customers it knows."""
    connection = _connect(path)
    try:
        integrity = str(connection.execute("PRAGMA integrity_check").fetchone()[0])
        tables = {row[0] for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'"
        )}
        if "schema_migrations" not in tables:
            raise StoreFileError(f"{path}: not a brandbot store (no schema_migrations table)")
        migrations = tuple(
            row[0] for row in connection.execute("SELECT id FROM schema_migrations ORDER BY id")
        )
        customers = (
            int(connection.execute("SELECT count(*) FROM customers").fetchone()[0])
            if "customers" in tables else 0
        )
    except sqlite3.DatabaseError as error:
        raise StoreFileError(f"{path}: damaged ({error})") from None
    finally:
        connection.close()
    return Inspection(path, path.stat().st_size, integrity, migrations, customers)


def _copy(source: Path, target: Path) -> None:
    """Copy a live store into `target` (replaced atomically): one consistent snapshot."""
    if not target.parent.is_dir():
        raise StoreFileError(f"{target.parent}: no such folder")
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    reader = _connect(source)
    try:
        writer = sqlite3.connect(partial, isolation_level=None)
        try:
            # All pages in one step: a read transaction of its own in WAL mode, so a server
            # keeps writing meanwhile and the copy is the store as of that moment.
            reader.backup(writer)
            # A self-contained file: no -wal beside it is needed to read it.
            writer.execute("PRAGMA journal_mode = DELETE")
            integrity = str(writer.execute("PRAGMA integrity_check").fetchone()[0])
        finally:
            writer.close()
    except sqlite3.Error as error:
        partial.unlink(missing_ok=True)
        raise StoreFileError(f"{target}: the copy failed ({error})") from None
    finally:
        reader.close()
    if integrity != "ok":
        partial.unlink(missing_ok=True)
        raise StoreFileError(f"{target}: the copy does not pass SQLite's check ({integrity})")
    _sync(partial)
    os.replace(partial, target)
    _sync(target.parent)


def _sync(path: Path) -> None:
    """Flush a file or folder to disk, so a rename is only seen once the data is there."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def backup_store(source: Path, target: Path) -> tuple[Inspection, float]:
    """Copy the store at `source` to `target` while it serves; the copy checked, and seconds."""
    started = time.perf_counter()
    _copy(source, target)
    return inspect_store(target), time.perf_counter() - started


def restore_store(backup: Path, store: Path, now: datetime) -> tuple[Inspection, Path | None]:
    """Put a checked backup in place of `store`, which no server may hold.

    The store it replaces is kept beside it (`<name>.before-restore-<time>`), whose path is
    returned with the restored file's inspection.
    """
    found = inspect_store(backup)
    if found.integrity != "ok":
        raise StoreFileError(f"{backup}: damaged ({found.integrity}); not restored")
    if found.unknown_migrations:
        newer = ", ".join(found.unknown_migrations)
        raise StoreFileError(
            f"{backup}: written by a newer brandbot (migrations {newer}); upgrade first"
        )
    with StoreLock(store, exclusive=True):
        kept = None
        if store.exists():
            kept = store.with_name(f"{store.name}.before-restore-{now.strftime(STAMP)}")
            _settle(store)
        _copy(backup, store.with_name(store.name + ".restoring"))
        if kept is not None:
            os.replace(store, kept)
        os.replace(store.with_name(store.name + ".restoring"), store)
        _sync(store.parent)
    return inspect_store(store), kept


def _settle(store: Path) -> None:
    """Fold the store's write-ahead log into the file, so the file alone is the whole store."""
    connection = _connect(store)
    try:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        connection.close()
    # The last connection to close removes the log; one still there means another process
    # has the store open (a brandbot command other than serve): not safe to swap the file.
    if any(store.with_name(store.name + suffix).exists() for suffix in ("-wal", "-shm")):
        raise StoreFileError(f"{store} is open in another process: close it first")


def backup_name(store: Path, now: datetime) -> str:
    """The file name of a dated backup of `store`: brandbot-20261204-033000.db."""
    return f"{store.stem}-{now.strftime(STAMP)}{SUFFIX}"


def dated_backups(folder: Path, store: Path) -> list[Path]:
    """The dated backups of `store` in `folder`, oldest first."""
    pattern = re.compile(re.escape(store.stem) + r"-\d{8}-\d{6}" + re.escape(SUFFIX))
    if not folder.is_dir():
        return []
    return sorted(path for path in folder.iterdir() if pattern.fullmatch(path.name))


def prune_backups(folder: Path, store: Path, keep: int) -> list[Path]:
    """Delete all but the newest `keep` dated backups; returns the deleted ones."""
    backups = dated_backups(folder, store)
    doomed = backups[: max(len(backups) - keep, 0)]
    for path in doomed:
        path.unlink(missing_ok=True)
    return doomed
