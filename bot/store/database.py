"""The SQLite connection: WAL, a short busy timeout, transactions that nest, group commit.

The connection is used from the event loop's thread, so it must never wait long for a lock
another writer holds: after `busy_timeout_ms` a statement raises StoreBusy (the server
answers 503 with Retry-After), and for a short while after that every statement fails at
once instead of waiting again, so that a lock held for seconds outside costs the loop
almost nothing. The first statement after that while probes again.

Group commit (`group_commit=True`, on an event loop): the first write of a loop iteration
opens one real transaction (the group), every `transaction()` block inside it is a
SAVEPOINT (all or nothing on its own, as before), and the group is committed once, by a
callback at the next iteration, for every message handled meanwhile. So a commit (and with
`synchronous = FULL` its fsync) is paid once per batch of concurrent messages instead of a
few times per message. The price is a contract for callers:

- a write is durable only once `await committed()` has returned: acknowledge nothing (an
  HTTP answer, a polling offset) before it; it raises StoreBusy if the group could not be
  committed, and then none of the group's writes were kept (the platform or client retries);
- a block never awaits inside (already the rule: a savepoint spans no other task's work);
- what this connection read may be another task's uncommitted write: an answer built from
  it also waits for `committed()`, which waits for every write made so far, not only its own;
- `on_rollback` callbacks run when a group is lost, so caches of written values are dropped.

Without a running loop (the command line, start-up, migrations) transactions commit at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import time
import weakref
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
SYNCHRONOUS = ("OFF", "NORMAL", "FULL", "EXTRA")
# Statements that open no group: reads (a reader must not take the lock) and the
# transaction statements of a caller that runs its own (migrations).
UNGROUPED = ("SELECT", "PRAGMA", "EXPLAIN", "VALUES", "BEGIN", "COMMIT", "END", "ROLLBACK",
             "SAVEPOINT", "RELEASE")

log = logging.getLogger(__name__)
# Connections of this process with a group open: another connection to the same file
# commits them first, or it would wait on a lock its own thread holds (tests, the CLI).
_OPEN_GROUPS: weakref.WeakSet[Database] = weakref.WeakSet()


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
        self, path: str | Path, *, synchronous: str = "NORMAL", busy_timeout_ms: int = 100,
        group_commit: bool = False,
    ) -> None:
        if synchronous.upper() not in SYNCHRONOUS:
            raise ValueError(f"synchronous must be one of {', '.join(SYNCHRONOUS)}")
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
        self.synchronous = synchronous.upper()
        self._depth = 0
        self.group_commit = group_commit
        self._group: asyncio.Future[None] | None = None  # the open group's commit
        self._grouped_block = False  # the outermost block is a savepoint of the group
        self._rollback_listeners: list[Callable[[], None]] = []
        self.groups = 0  # groups committed (with `commits`, how many messages share one)
        self.commits = 0  # real COMMITs
        self.lost_groups = 0  # groups rolled back because their COMMIT failed

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

    def _enter(self, sql: str) -> None:
        """Before a statement of the callers: group a write outside any block."""
        if len(_OPEN_GROUPS) > (self in _OPEN_GROUPS):
            self._commit_others()
        if (
            self.group_commit and self._depth == 0 and not self.conn.in_transaction
            and not sql.lstrip()[:9].upper().startswith(UNGROUPED)
        ):
            self._open_group()

    def execute(self, sql: str, params: Params = ()) -> Cursor:
        """Run one parameterised statement."""
        self._enter(sql)
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
        self._enter(sql)
        return [dict(row) for row in self._rows(sql, params)]

    def one(self, sql: str, params: Params = ()) -> dict[str, Any] | None:
        """The first row of a query, or None."""
        self._enter(sql)
        rows = self._rows(sql, params)
        return dict(rows[0]) if rows else None

    def scalar(self, sql: str, params: Params = ()) -> Any:
        """The first column of the first row, or None."""
        self._enter(sql)
        rows = self._rows(sql, params)
        return rows[0][0] if rows else None

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All or nothing; nested calls become savepoints (and so, in a group, do outer ones).

        Raises StoreBusy when another writer holds the lock past the busy timeout.
        """
        if self._depth == 0:
            if len(_OPEN_GROUPS) > (self in _OPEN_GROUPS):
                self._commit_others()
            self._grouped_block = self._group is not None or (
                self.group_commit and not self.conn.in_transaction and self._open_group()
            )
            self._statement("SAVEPOINT s0" if self._grouped_block else "BEGIN IMMEDIATE")
        else:
            self._statement(f"SAVEPOINT s{self._depth}")
        self._depth += 1
        try:
            yield
        except BaseException:
            self._depth -= 1
            if self._depth == 0 and not self._grouped_block:
                self.conn.execute("ROLLBACK")
            else:
                self.conn.execute(f"ROLLBACK TO s{self._depth}")
                self.conn.execute(f"RELEASE s{self._depth}")
            raise
        self._depth -= 1
        if self._depth == 0 and not self._grouped_block:
            try:
                self._statement("COMMIT")
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            self.commits += 1
        else:
            self._statement(f"RELEASE s{self._depth}")

    def _open_group(self) -> bool:
        """Begin the group's transaction and schedule its commit; False off an event loop."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return False
        self._statement("BEGIN IMMEDIATE")
        self._group = loop.create_future()
        _OPEN_GROUPS.add(self)
        # The next iteration: everything the tasks ready now write shares this commit.
        loop.call_soon(self._commit_group)
        return True

    def _commit_group(self) -> None:
        """Commit the open group and tell everyone waiting for it (or that it was lost)."""
        group = self._group
        if group is None:
            return
        if self._depth:
            # A block is open across an await (a bug elsewhere): its end commits the group.
            group.get_loop().call_soon(self._commit_group)
            return
        self._group = None
        _OPEN_GROUPS.discard(self)
        try:
            self._statement("COMMIT")
        except BaseException as error:
            with contextlib.suppress(sqlite3.Error):
                self.conn.execute("ROLLBACK")
            self.lost_groups += 1
            log.error("a group of writes could not be committed and was rolled back: %s",
                      error)
            for listener in self._rollback_listeners:
                listener()
            lost = error if isinstance(error, StoreBusy) else StoreBusy(
                f"the store could not commit ({error})"
            )
            if not group.done():
                group.set_exception(lost)
                group.exception()  # retrieved: waiters re-raise it, nobody logs it twice
            if not isinstance(error, Exception):
                raise
            return
        self.commits += 1
        self.groups += 1
        if not group.done():
            group.set_result(None)

    def _commit_others(self) -> None:
        for other in list(_OPEN_GROUPS):
            if other is not self and other.path == self.path:
                other.flush()

    async def committed(self) -> None:
        """Return once every write made so far is committed (at once outside a group).

        Raises StoreBusy when the group was lost: then none of its writes were kept.
        """
        group = self._group
        if group is not None:
            await asyncio.shield(group)

    def flush(self) -> None:
        """Commit the open group now (before closing, or handing the file to another)."""
        self._commit_group()

    def on_rollback(self, listener: Callable[[], None]) -> None:
        """Call `listener` whenever a group is lost (caches of written values drop them)."""
        self._rollback_listeners.append(listener)

    def close(self) -> None:
        """Commit what is grouped, then close the connection."""
        self.flush()
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

    def referenced_tables(self, table: str) -> set[str]:
        """The tables `table`'s foreign keys refer to."""
        return {str(row["parent"]) for row in self.query(
            'SELECT DISTINCT "table" AS parent FROM pragma_foreign_key_list(?)', [table]
        )}

    def batches(
        self, sql: str, size: int, params: Params = ()
    ) -> Iterator[list[tuple[Any, ...]]]:
        """A query's rows as tuples, `size` at a time (a large table is never all in memory)."""
        cursor = self.conn.execute(sql, params)
        while rows := cursor.fetchmany(size):
            yield [tuple(row) for row in rows]


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
