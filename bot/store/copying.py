"""Moving a brand's store from its SQLite file into a PostgreSQL database, counts verified.

The target is migrated to the same schema first, then every table is copied in one target
transaction (all or nothing), parents before the tables that refer to them, in batches read
from the file as it goes (a large conversation log never sits in memory at once). Identity
counters are moved past the copied ids, and every table's row count (and the ledger's sum of
points) is compared between the two stores before the copy is called done.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from graphlib import TopologicalSorter
from typing import Any

from bot.core.errors import StoreFileError
from bot.store import Store
from bot.store.postgres.database import PostgresDatabase

BATCH = 500  # rows per INSERT: well inside PostgreSQL's 65,535 parameters for any table
BOOKKEEPING = frozenset({"schema_migrations"})  # written by each store's own migrations
# A target holding any of these holds a brand's data already: never copied over.
BRAND_DATA = ("customers", "conversation_log", "ledger", "deliveries")


@dataclass(slots=True)
class CopyReport:
    """What was copied, table by table, and how long it took."""

    counts: dict[str, int] = field(default_factory=dict)  # rows per table, both stores
    ledger_points: int = 0  # the ledger's sum of points, both stores
    seconds: float = 0.0

    @property
    def rows(self) -> int:
        """Rows copied in all."""
        return sum(self.counts.values())


def copy_store(
    source: Store, target: Store, progress: Callable[[int, int], None] | None = None
) -> CopyReport:
    """Copy every row of `source` (SQLite) into `target` (PostgreSQL, migrated, holding no
    brand data); raises StoreFileError, saying what, when the two disagree afterwards."""
    if isinstance(source.db, PostgresDatabase):
        raise StoreFileError("the copy's source must be a SQLite file")
    if not isinstance(target.db, PostgresDatabase):
        raise StoreFileError("the copy's target must be a PostgreSQL database")
    database = target.db
    started = time.perf_counter()
    occupied = {table: count for table in BRAND_DATA
                if (count := _count(target, table))}
    if occupied:
        held = ", ".join(f"{count} {table}" for table, count in occupied.items())
        raise StoreFileError(
            f"{target.db.path} already holds a brand's data ({held}): copy into a new database"
        )
    tables = _in_copy_order(source, database)
    expected = {table: _count(source, table) for table in tables}
    total = sum(expected.values())
    done = 0
    with target.transaction():
        # The target's migrations seeded a few tables (FAQs, reward codes, secrets): the
        # source's rows take their place, as in the file.
        database.empty_tables(tables)
        for table in tables:
            columns = _shared_columns(source, database, table)
            insert = _insert_sql(table, columns)
            for batch in _batches(source, table, columns):
                database.execute(insert(len(batch)), [value for row in batch for value in row])
                done += len(batch)
                if progress is not None:
                    progress(done, total)
        database.restart_identities()
    report = CopyReport(seconds=time.perf_counter() - started)
    mismatched = []
    for table in tables:
        copied = _count(target, table)
        report.counts[table] = copied
        if copied != expected[table]:
            mismatched.append(f"{table}: {expected[table]} in the file, {copied} copied")
    points = [int(store.db.scalar("SELECT COALESCE(sum(points), 0) FROM ledger"))
              for store in (source, target)]
    if points[0] != points[1]:
        mismatched.append(f"ledger points: {points[0]} in the file, {points[1]} copied")
    if mismatched:
        raise StoreFileError("the copy does not match its source: " + "; ".join(mismatched))
    report.ledger_points = points[1]
    return report


def _count(store: Store, table: str) -> int:
    return int(store.db.scalar(f'SELECT count(*) FROM "{table}"'))


def _in_copy_order(source: Store, target: PostgresDatabase) -> list[str]:
    """The source's tables the target has too, each after the tables it refers to."""
    present = set(target.table_names())
    tables = [table for table in source.db.table_names()
              if table in present and table not in BOOKKEEPING]
    missing = sorted(set(present) - set(tables) - BOOKKEEPING)
    if missing:
        raise StoreFileError(
            f"the file lacks tables the database has ({', '.join(missing)}): open it with"
            " this brandbot once (it migrates), then copy"
        )
    graph = {table: target.referenced_tables(table) - {table} for table in tables}
    return list(TopologicalSorter(graph).static_order())


def _shared_columns(source: Store, target: PostgresDatabase, table: str) -> list[str]:
    """The target's columns, every one of which the source must have.

    SQLite's implicit `rowid` counts as a column: PostgreSQL has it as a real one where the
    store orders by it (migration 0090).
    """
    have = set(source.db.column_names(table)) | {"rowid"}
    columns = target.column_names(table)
    lacking = [column for column in columns if column not in have]
    if lacking:
        raise StoreFileError(f"{table}: the file lacks the columns {', '.join(lacking)}")
    return columns


def _insert_sql(table: str, columns: list[str]) -> Callable[[int], str]:
    """The multi-row INSERT for `count` rows of `table`."""
    names = ", ".join(f'"{column}"' for column in columns)
    one = "(" + ", ".join("?" for _ in columns) + ")"

    def insert(count: int) -> str:
        return f'INSERT INTO "{table}" ({names}) VALUES ' + ", ".join([one] * count)

    return insert


def _batches(source: Store, table: str, columns: list[str]) -> Iterator[list[tuple[Any, ...]]]:
    """The source table's rows, BATCH at a time, in the order they were written."""
    names = ", ".join(f'"{column}"' if column != "rowid" else "rowid" for column in columns)
    yield from source.db.batches(f'SELECT {names} FROM "{table}"', BATCH)
