"""The SQLite connection: WAL, a short busy timeout, transactions that nest.

The connection is used from the event loop's thread, so it must never wait long for a lock
another writer holds: after `busy_timeout_ms` a statement raises StoreBusy (the server
answers 503 with Retry-After), and for a short while after that every statement fails at
once instead of waiting again, so that a lock held for seconds outside costs the loop
almost nothing. The first statement after that while probes again.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bot.core.errors import StoreBusy
from bot.store.connection import CountingConnection
from bot.store.cursor import Cursor

Params = Sequence[Any] | Mapping[str, Any]

FIRST_PAUSE = 0.25  # seconds of failing fast after the store was found busy …
LONGEST_PAUSE = 2.0  # … doubling, while it stays busy, up to this
WAL_LIMIT_BYTES = 64 * 1024 * 1024  # the WAL file is truncated to this after checkpoints


def is_busy(error: sqlite3.OperationalError) -> bool:
    """Whether SQLite refused because another connection holds a lock."""
    text = str(error).lower()
    return "locked" in text or "busy" in text


class Database:
    """One SQLite connection used from the event-loop thread; no awaits inside a transaction.

    The PostgreSQL backend (bot/store/postgres/) keeps the same contract; the methods after
    `close` are the part only a store shared by several instances gives meaning to.
    """

    backend = "sqlite"

    def __init__(
        self, path: str | Path, *, synchronous: str = "NORMAL", busy_timeout_ms: int = 100
    ) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        # Autocommit mode: transactions are explicit, so sqlite3 never opens one behind our back.
        self.conn = sqlite3.connect(
            self.path, isolation_level=None, check_same_thread=False, factory=CountingConnection
        )
        self.conn.row_factory = sqlite3.Row
        self.busy_timeout_ms = busy_timeout_ms
        self._busy_until = 0.0  # monotonic time until which statements fail fast
        self._pause = FIRST_PAUSE
        self._failing_fast = False
        self.conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        self.conn.execute("PRAGMA journal_mode = WAL")
        self.conn.execute(f"PRAGMA synchronous = {synchronous}")
        self.conn.execute(f"PRAGMA journal_size_limit = {WAL_LIMIT_BYTES}")
        self.conn.execute("PRAGMA foreign_keys = ON")
        self._depth = 0

    @property
    def is_busy(self) -> bool:
        """Whether the store was found locked by another writer a moment ago."""
        return time.monotonic() < self._busy_until

    def _statement(self, sql: str, params: Params = ()) -> sqlite3.Cursor:
        self._before()
        try:
            cursor = self.conn.execute(sql, params)
        except sqlite3.OperationalError as error:
            raise self._refused(error) from None
        self._after()
        return cursor

    def _rows(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        self._before()
        try:
            # fetchall: a write with RETURNING only completes once every row has been stepped.
            rows = self.conn.execute(sql, params).fetchall()
        except sqlite3.OperationalError as error:
            raise self._refused(error) from None
        self._after()
        return rows

    def _before(self) -> None:
        if self._failing_fast and time.monotonic() >= self._busy_until:
            # The pause is over: this statement may wait the usual time again (a probe).
            self.conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_ms)}")
            self._failing_fast = False

    def _after(self) -> None:
        self._pause = FIRST_PAUSE

    def _refused(self, error: sqlite3.OperationalError) -> Exception:
        if not is_busy(error):
            return error
        self._busy_until = time.monotonic() + self._pause
        self._pause = min(LONGEST_PAUSE, self._pause * 2)
        if not self._failing_fast:
            self.conn.execute("PRAGMA busy_timeout = 0")
            self._failing_fast = True
        return StoreBusy(f"the store is locked by another writer ({error})")

    def execute(self, sql: str, params: Params = ()) -> Cursor:
        """Run one parameterised statement."""
        return self._statement(sql, params)

    def executescript(self, sql: str) -> None:
        """Run a script of statements inside the current transaction (schema only)."""
        # sqlite3's executescript() commits first, which would break a migration's transaction.
        statement = ""
        for line in sql.splitlines(keepends=True):
            statement += line
            if sqlite3.complete_statement(statement):
                self._statement(statement)
                statement = ""
        if statement.strip():
            raise ValueError(f"incomplete SQL statement: {statement.strip()[:60]}")

    def query(self, sql: str, params: Params = ()) -> list[dict[str, Any]]:
        """Rows of a parameterised query as dicts."""
        return [dict(row) for row in self._rows(sql, params)]

    def one(self, sql: str, params: Params = ()) -> dict[str, Any] | None:
        """The first row of a query, or None."""
        rows = self._rows(sql, params)
        return dict(rows[0]) if rows else None

    def scalar(self, sql: str, params: Params = ()) -> Any:
        """The first column of the first row, or None."""
        rows = self._rows(sql, params)
        return rows[0][0] if rows else None

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All or nothing; nested calls become savepoints."""
        if self._depth == 0:
            self._statement("BEGIN IMMEDIATE")
        else:
            self._statement(f"SAVEPOINT s{self._depth}")
        self._depth += 1
        try:
            yield
        except BaseException:
            self._depth -= 1
            if self._depth == 0:
                self.conn.execute("ROLLBACK")
            else:
                self.conn.execute(f"ROLLBACK TO s{self._depth}")
                self.conn.execute(f"RELEASE s{self._depth}")
            raise
        self._depth -= 1
        if self._depth == 0:
            try:
                self._statement("COMMIT")
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
        else:
            self._statement(f"RELEASE s{self._depth}")

    def close(self) -> None:
        """Close the connection."""
        self.conn.close()

    def statement_failures(self) -> tuple[int, int]:
        """Statements refused as busy, and those that failed otherwise."""
        return self.conn.busy, self.conn.errors

    def notify(self, channel: str, payload: str = "") -> None:
        """Tell other instances (a shared store's); one SQLite file has none to tell."""

    @property
    def skip_locked(self) -> str:
        """The clause making a claiming SELECT skip rows being claimed: SQLite's writer
        lock already lets one claim run at a time."""
        return ""

    @contextmanager
    def hold(self, name: str) -> Iterator[bool]:
        """Whether this process may run the job `name` now: always, on SQLite (each process
        on one file runs its jobs, as before; the jobs are safe to run twice)."""
        yield True

    async def notifications(
        self, channels: tuple[str, ...], listening: Callable[[], None] | None = None
    ) -> AsyncIterator[tuple[str, str]]:
        """Other instances' notifications: none come to a SQLite file."""
        for _ in ():
            yield "", ""

    def table_names(self) -> list[str]:
        """The store's tables, by name."""
        return [str(row["name"]) for row in self.query(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            " ORDER BY name"
        )]

    def column_names(self, table: str) -> list[str]:
        """A table's columns, in order."""
        return [str(row["name"]) for row in self.query(
            "SELECT name FROM pragma_table_info(?) ORDER BY cid", [table]
        )]


def checkpoint(path: str) -> tuple[int, int, int]:
    """Copy the WAL back into the database and truncate it, on a connection of its own.

    Meant for a worker thread: it may wait for readers (never the event loop's connection).
    Returns SQLite's (busy, WAL pages, pages checkpointed).
    """
    conn = sqlite3.connect(path, isolation_level=None, timeout=1.0)
    try:
        row = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    finally:
        conn.close()
    busy, pages, done = row
    return int(busy), int(pages), int(done)
