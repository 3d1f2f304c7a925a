"""The PostgreSQL backend: the store's statements on a pool, without stalling the event loop.

The store modules call it synchronously, as they call SQLite. On the server's event loop every
task has a greenback portal (portal.py), so a statement there is awaited on an asyncio
connection while other tasks run; from a thread or the command line the same call runs on a
plain connection of that thread. A statement on the loop without a portal would block it: it
still works, is counted (`blocking_statements`) and logged, and the tests keep it at zero.

Transactions keep SQLite's rule of one writer at a time, across every instance: each takes
one transaction-level advisory lock, so read-then-write blocks (a balance checked, then
spent) stay correct with several instances. Single statements run on their own, concurrently.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import re
import sqlite3
import threading
import weakref
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import greenback
import psycopg
from psycopg import errors as pg_errors
from psycopg.conninfo import make_conninfo
from psycopg.pq import TransactionStatus

from bot.core.errors import StoreBusy, StoreUnavailable
from bot.store.database import Database, Params
from bot.store.postgres.dialect import is_ddl, translate
from bot.store.postgres.rows import Result, Row, configure, row_factory

log = logging.getLogger(__name__)

WRITER_LOCK = 0x6272_616E_6462  # "one writer transaction at a time" (SQLite's BEGIN IMMEDIATE)
# Refused because another transaction held a lock too long, or PostgreSQL chose us to fail.
BUSY_ERRORS = (pg_errors.LockNotAvailable, pg_errors.SerializationFailure,
               pg_errors.DeadlockDetected, pg_errors.QueryCanceled)
INSERT_INTO = re.compile(r"^\s*INSERT\s+(?:OR\s+\w+\s+)?INTO\s+(\w+)", re.IGNORECASE)
RETURNING = re.compile(r"\bRETURNING\b", re.IGNORECASE)

SYNC, ASYNC, BLOCKING = "sync", "async", "blocking"


def lock_key(name: str) -> int:
    """A stable advisory-lock key for a name (a job's), within PostgreSQL's signed bigint."""
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big") >> 1


def shown_url(url: str) -> str:
    """The URL as logs may show it: without a password, should one be in it."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    user = f"{parts.username}@" if parts.username else ""
    port = f":{parts.port}" if parts.port else ""
    return urlunsplit((parts.scheme, f"{user}{host}{port}", parts.path, "", ""))


def _close_now(connection: psycopg.AsyncConnection[Any]) -> None:
    """Close an asyncio connection from plain code: its close() awaits nothing."""
    closing = connection.close()
    try:
        closing.send(None)
    except StopIteration:
        return
    closing.close()


def _close_all(
    sync: list[psycopg.Connection[Any]], pools: dict[Any, _AsyncPool], lock: dict[Any, Any]
) -> None:
    """Close a store's connections: its threads', its loops' pools', its job locks'."""
    for pool in pools.values():
        pool.close()
    pools.clear()
    for connection in lock.values():
        _close_now(connection)
    lock.clear()
    for plain in sync:
        plain.close()
    sync.clear()


@dataclass(slots=True)
class _Transaction:
    """The connection a task's (or thread's) open transaction runs on."""

    connection: Any  # psycopg.Connection or AsyncConnection
    mode: str
    owner: tuple[int, object]  # the thread and the task (or None) that opened it
    depth: int = 1


def _same(one: tuple[int, object], other: tuple[int, object]) -> bool:
    """The same thread and the very same task object."""
    return one[0] == other[0] and one[1] is other[1]


class _AsyncPool:
    """Idle asyncio connections of one event loop, at most `size` in use at once."""

    def __init__(self, connect: Callable[[], Any], size: int) -> None:
        self._connect = connect
        self._idle: list[psycopg.AsyncConnection[Any]] = []
        self._free = asyncio.Semaphore(size)

    async def acquire(self) -> psycopg.AsyncConnection[Any]:
        """A connection for one statement or transaction."""
        await self._free.acquire()
        try:
            while self._idle:
                idle = self._idle.pop()
                if not idle.closed:
                    return idle
            made: psycopg.AsyncConnection[Any] = await self._connect()
            return made
        except BaseException:
            self._free.release()
            raise

    def release(self, connection: psycopg.AsyncConnection[Any]) -> None:
        """Give a connection back; one left broken or inside a transaction is closed."""
        if connection.closed or connection.info.transaction_status != TransactionStatus.IDLE:
            _close_now(connection)
        else:
            self._idle.append(connection)
        self._free.release()

    def close(self) -> None:
        """Close the idle connections."""
        for connection in self._idle:
            _close_now(connection)
        self._idle.clear()


class PostgresDatabase(Database):
    """The store's Database on PostgreSQL; every public method keeps SQLite's contract."""

    backend = "postgresql"

    def __init__(
        self, url: str, *, password: str = "", pool_size: int = 8, lock_timeout_ms: int = 5000,
        busy_timeout_ms: int = 100, application_name: str = "brandbot",
    ) -> None:
        # No super().__init__(): there is no file to open. Every public method is our own.
        self.url = url
        self.path = shown_url(url)
        self.busy_timeout_ms = busy_timeout_ms
        self.lock_timeout_ms = lock_timeout_ms
        self.pool_size = pool_size
        self._conninfo = make_conninfo(
            url, password=password or None, application_name=application_name
        )
        self._local = threading.local()
        self._sync_connections: list[psycopg.Connection[Any]] = []
        self._guard = threading.Lock()
        self._pools: dict[asyncio.AbstractEventLoop, _AsyncPool] = {}
        self._lock_connections: dict[asyncio.AbstractEventLoop, Any] = {}
        self._transaction: ContextVar[_Transaction | None] = ContextVar(
            f"postgres-transaction-{id(self)}", default=None
        )
        self._returning: dict[tuple[str, bool], tuple[str, bool]] = {}
        self.id_tables: frozenset[str] = frozenset()
        self.synchronous = "FULL"  # the server's own synchronous_commit decides durability
        self.group_commit = False
        self.groups = self.commits = self.lost_groups = 0  # SQLite's group-commit counters
        self.blocking_statements = 0  # run on the event loop's thread without a portal
        self.busy = 0
        self.errors = 0
        self._warned_blocking = False
        # A store dropped without close() still closes its connections (psycopg warns else).
        self._finalizer = weakref.finalize(
            self, _close_all, self._sync_connections, self._pools, self._lock_connections
        )
        self._sync_connection()  # fail now, with one clear line, if the server cannot be used

    # -- where a statement runs ------------------------------------------------------------

    def _mode(self) -> str:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return SYNC
        try:
            if greenback.has_portal():
                return ASYNC
        except RuntimeError:
            pass  # a loop callback, not a task: no portal can be had
        return BLOCKING

    @staticmethod
    def _owner() -> tuple[int, object]:
        """This thread and task, by identity: a task's id() may be reused by a later task,
        which would then take a finished task's copied transaction for its own."""
        try:
            task = asyncio.current_task()
        except RuntimeError:
            task = None
        return threading.get_ident(), task

    def _current(self) -> _Transaction | None:
        transaction = self._transaction.get()
        # A thread started from inside a transaction copies the context, not the connection.
        if transaction is not None and _same(transaction.owner, self._owner()):
            return transaction
        return None

    def _connect_sync(self) -> psycopg.Connection[Any]:
        try:
            connection = psycopg.Connection.connect(
                self._conninfo, autocommit=True, row_factory=row_factory
            )
        except psycopg.OperationalError as error:
            raise StoreUnavailable(f"cannot reach PostgreSQL at {self.path}: {error}") from None
        configure(connection)
        return connection

    async def _connect_async(self) -> psycopg.AsyncConnection[Any]:
        try:
            connection = await psycopg.AsyncConnection.connect(
                self._conninfo, autocommit=True, row_factory=row_factory
            )
        except psycopg.OperationalError as error:
            raise StoreUnavailable(f"cannot reach PostgreSQL at {self.path}: {error}") from None
        configure(connection)
        return connection

    def _sync_connection(self) -> psycopg.Connection[Any]:
        connection: psycopg.Connection[Any] | None = getattr(self._local, "connection", None)
        if connection is None or connection.closed:
            connection = self._connect_sync()
            self._local.connection = connection
            with self._guard:
                self._sync_connections.append(connection)
        return connection

    def _pool(self) -> _AsyncPool:
        loop = asyncio.get_running_loop()
        pool = self._pools.get(loop)
        if pool is None:
            pool = self._pools[loop] = _AsyncPool(self._connect_async, self.pool_size)
        return pool

    # -- running statements ----------------------------------------------------------------

    def _prepare(self, sql: str, has_params: bool) -> tuple[str, bool]:
        """The statement in PostgreSQL's words, and whether RETURNING id was added to it
        (so that `lastrowid` can be told, as sqlite3 tells it)."""
        key = (sql, has_params)
        prepared = self._returning.get(key)
        if prepared is None:
            text = translate(sql, placeholders=has_params)
            insert = INSERT_INTO.match(sql)
            added = bool(insert and insert.group(1) in self.id_tables
                         and not RETURNING.search(sql))
            if added:
                text += " RETURNING id"
            prepared = self._returning[key] = (text, added)
        return prepared

    @staticmethod
    def _result(rows: list[Row], rowcount: int, added_id: bool) -> Result:
        if added_id:
            return Result([], rowcount, int(rows[0][0]) if rows else None)
        return Result(rows, rowcount)

    def _refused(self, error: Exception) -> Exception:
        if isinstance(error, BUSY_ERRORS):
            self.busy += 1
            return StoreBusy(f"the store is busy: {str(error).strip()}")
        if isinstance(error, psycopg.OperationalError):
            self.busy += 1
            return StoreBusy(f"PostgreSQL did not answer: {str(error).strip()}")
        self.errors += 1
        return error

    def _sync_run(self, connection: Any, sql: str, params: Params | None) -> Result:
        text, added = self._prepare(sql, params is not None)
        try:
            with connection.cursor() as cursor:
                cursor.execute(text, params)
                rows = cursor.fetchall() if cursor.description else []
                return self._result(rows, cursor.rowcount, added)
        except psycopg.Error as error:
            raise self._refused(error) from error

    async def _async_run(self, connection: Any, sql: str, params: Params | None) -> Result:
        text, added = self._prepare(sql, params is not None)
        try:
            async with connection.cursor() as cursor:
                await cursor.execute(text, params)
                rows = await cursor.fetchall() if cursor.description else []
                return self._result(rows, cursor.rowcount, added)
        except psycopg.Error as error:
            raise self._refused(error) from error

    async def _async_once(self, sql: str, params: Params | None) -> Result:
        pool = self._pool()
        connection = await pool.acquire()
        try:
            return await self._async_run(connection, sql, params)
        finally:
            pool.release(connection)

    def _on(self, transaction: _Transaction, sql: str, params: Params | None = None) -> Result:
        if transaction.mode == ASYNC:
            result: Result = greenback.await_(
                self._async_run(transaction.connection, sql, params)
            )
            return result
        return self._sync_run(transaction.connection, sql, params)

    def _run(self, sql: str, params: Params | None) -> Result:
        transaction = self._current()
        if transaction is not None:
            return self._on(transaction, sql, params)
        mode = self._mode()
        if mode == ASYNC:
            result: Result = greenback.await_(self._async_once(sql, params))
            return result
        if mode == BLOCKING:
            self._blocked(sql)
        return self._sync_run(self._sync_connection(), sql, params)

    def _blocked(self, sql: str) -> None:
        self.blocking_statements += 1
        if not self._warned_blocking:
            self._warned_blocking = True
            log.warning("a store statement ran on the event loop without a portal (it waited"
                        " for PostgreSQL there): %s", sql.strip()[:80], stack_info=True)

    # -- the Database contract -------------------------------------------------------------

    def execute(self, sql: str, params: Params = ()) -> Result:
        """Run one parameterised statement."""
        return self._run(sql, params if params or not is_ddl(sql) else None)

    def executescript(self, sql: str) -> None:
        """Run a script of statements inside the current transaction (schema only)."""
        statement = ""
        for line in sql.splitlines(keepends=True):
            statement += line
            if sqlite3.complete_statement(statement):
                self._run(statement, None)
                statement = ""
        if statement.strip():
            raise ValueError(f"incomplete SQL statement: {statement.strip()[:60]}")

    def query(self, sql: str, params: Params = ()) -> list[dict[str, Any]]:
        """Rows of a parameterised query as dicts."""
        return [dict(zip(row.keys(), row, strict=True)) for row in self._run(sql, params).rows]

    def one(self, sql: str, params: Params = ()) -> dict[str, Any] | None:
        """The first row of a query, or None."""
        rows = self._run(sql, params).rows
        return dict(zip(rows[0].keys(), rows[0], strict=True)) if rows else None

    def scalar(self, sql: str, params: Params = ()) -> Any:
        """The first column of the first row, or None."""
        rows = self._run(sql, params).rows
        return rows[0][0] if rows else None

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All or nothing, one writer at a time across instances; nested calls: savepoints."""
        current = self._current()
        if current is not None:
            yield from self._savepoint(current)
            return
        mode = self._mode()
        if mode == BLOCKING:
            self._blocked("BEGIN")
        connection = self._acquire(mode)
        transaction = _Transaction(connection, mode, self._owner())
        token = self._transaction.set(transaction)
        try:
            # Waiting on a portal costs the loop nothing; blocking, it must stay as short as
            # SQLite's busy timeout.
            wait = self.lock_timeout_ms if mode != BLOCKING else self.busy_timeout_ms
            self._on(transaction, f"BEGIN; SET LOCAL lock_timeout = {int(wait)};"
                     f" SELECT pg_advisory_xact_lock({WRITER_LOCK})")
            yield
            self._on(transaction, "COMMIT")
        except BaseException:
            with contextlib.suppress(Exception):
                self._on(transaction, "ROLLBACK")
            raise
        finally:
            self._transaction.reset(token)
            self._release(connection, mode)

    def _savepoint(self, transaction: _Transaction) -> Iterator[None]:
        name = f"s{transaction.depth}"
        self._on(transaction, f"SAVEPOINT {name}")
        transaction.depth += 1
        try:
            yield
        except BaseException:
            transaction.depth -= 1
            self._on(transaction, f"ROLLBACK TO SAVEPOINT {name}; RELEASE SAVEPOINT {name}")
            raise
        transaction.depth -= 1
        self._on(transaction, f"RELEASE SAVEPOINT {name}")

    def _acquire(self, mode: str) -> Any:
        if mode == ASYNC:
            return greenback.await_(self._pool().acquire())
        return self._sync_connection()

    def _release(self, connection: Any, mode: str) -> None:
        if mode == ASYNC:
            self._pool().release(connection)
        elif connection.info.transaction_status != TransactionStatus.IDLE:
            connection.close()  # broken mid-transaction: the next statement reconnects

    async def committed(self) -> None:
        """Return once every write so far is durable: at once, since each block commits at
        its end on its own connection (no group commit on PostgreSQL: docs/postgresql.md)."""

    def flush(self) -> None:
        """Nothing is grouped on PostgreSQL: every write is committed already."""

    def on_rollback(self, listener: Callable[[], None]) -> None:
        """No group is ever lost here (a failed block raises to its caller): never called."""

    def close(self) -> None:
        """Close every connection this process holds."""
        with self._guard:
            _close_all(self._sync_connections, self._pools, self._lock_connections)
        self._local = threading.local()

    # -- what only a shared store needs ----------------------------------------------------

    def statement_failures(self) -> tuple[int, int]:
        """Statements refused as busy, and those that failed otherwise."""
        return self.busy, self.errors

    def notify(self, channel: str, payload: str = "") -> None:
        """Tell every instance listening on `channel` (at commit, inside a transaction)."""
        self._run("SELECT pg_notify(?, ?)", [channel, payload])

    @property
    def skip_locked(self) -> str:
        """The clause making a claiming SELECT pass over rows another instance is claiming."""
        return " FOR UPDATE SKIP LOCKED"

    @contextmanager
    def hold(self, name: str) -> Iterator[bool]:
        """Whether this instance may run the job `name` now (no other holds it): a session
        lock on a connection of its own, so it ends if this process dies."""
        key = lock_key(name)
        held = bool(self._on_lock_connection("SELECT pg_try_advisory_lock(?)", key))
        try:
            yield held
        finally:
            if held:
                with contextlib.suppress(StoreBusy):
                    self._on_lock_connection("SELECT pg_advisory_unlock(?)", key)

    def _on_lock_connection(self, sql: str, key: int) -> Any:
        if self._mode() != ASYNC:
            return self._sync_run(self._sync_connection(), sql, [key]).rows[0][0]

        async def run() -> Any:
            loop = asyncio.get_running_loop()
            connection = self._lock_connections.get(loop)
            if connection is None or connection.closed:
                made = await self._connect_async()
                # Two jobs may have connected at once: one connection holds every job's lock.
                connection = self._lock_connections.get(loop)
                if connection is None or connection.closed:
                    connection = self._lock_connections[loop] = made
                else:
                    await made.close()
            return (await self._async_run(connection, sql, [key])).rows[0][0]

        return greenback.await_(run())

    async def notifications(
        self, channels: tuple[str, ...], listening: Callable[[], None] | None = None
    ) -> AsyncIterator[tuple[str, str]]:
        """(channel, payload) of every notification on `channels`, for as long as the
        connection lives (the caller reconnects when it ends); `listening` is called once
        every LISTEN is in place (a notice sent after it is heard)."""
        connection = await self._connect_async()
        try:
            for channel in channels:
                await connection.execute(f'LISTEN "{channel}"')
            if listening is not None:
                listening()
            async for notice in connection.notifies():
                yield notice.channel, notice.payload
        finally:
            await connection.close()

    def table_names(self) -> list[str]:
        """The store's tables, by name."""
        return [str(row["name"]) for row in self.query(
            "SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema()"
            " ORDER BY tablename"
        )]

    def column_names(self, table: str) -> list[str]:
        """A table's columns, in order."""
        return [str(row["name"]) for row in self.query(
            "SELECT column_name AS name FROM information_schema.columns"
            " WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position",
            [table],
        )]

    def referenced_tables(self, table: str) -> set[str]:
        """The tables `table`'s foreign keys refer to."""
        return {str(row["parent"]) for row in self.query(
            "SELECT DISTINCT confrelid::regclass::text AS parent FROM pg_constraint"
            " WHERE contype = 'f' AND conrelid = ?::regclass", [table]
        )}

    def empty_tables(self, tables: list[str]) -> None:
        """Remove every row of `tables` (a copy's target: the append-only ledger too, which
        refuses DELETE row by row but not TRUNCATE)."""
        if tables:
            self.execute("TRUNCATE " + ", ".join(f'"{table}"' for table in tables))

    def restart_identities(self) -> None:
        """Move every identity counter past the largest id in its table (after rows were
        copied in with their ids), so the next INSERT numbers on from there."""
        for row in self.query(
            "SELECT table_name AS name, column_name AS id FROM information_schema.columns"
            " WHERE table_schema = current_schema() AND is_identity = 'YES'"
        ):
            table, column = str(row["name"]), str(row["id"])
            self.execute(
                f'SELECT setval(pg_get_serial_sequence(?, ?), COALESCE((SELECT max("{column}")'
                f' FROM "{table}"), 0) + 1, false)', [table, column],
            )

    def learn_schema(self) -> None:
        """Note which tables number their rows (an INSERT into one tells its new id)."""
        self.id_tables = frozenset(str(row["name"]) for row in self.query(
            "SELECT table_name AS name FROM information_schema.columns"
            " WHERE table_schema = current_schema() AND column_name = 'id'"
            " AND is_identity = 'YES'"
        ))
        self._returning.clear()
