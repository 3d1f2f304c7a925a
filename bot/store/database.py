"""The SQLite connection: WAL, a busy timeout, and transactions that nest."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bot.store.connection import CountingConnection

Params = Sequence[Any] | Mapping[str, Any]


class Database:
    """One SQLite connection used from the event-loop thread; no awaits inside a transaction."""

    def __init__(self, path: str | Path, *, synchronous: str = "NORMAL") -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        # Autocommit mode: transactions are explicit, so sqlite3 never opens one behind our back.
        self.conn = sqlite3.connect(
            self.path, isolation_level=None, check_same_thread=False, factory=CountingConnection
        )
        self.conn.row_factory = sqlite3.Row
        self.conn.execute("PRAGMA journal_mode = WAL")
        self.conn.execute(f"PRAGMA synchronous = {synchronous}")
        self.conn.execute("PRAGMA busy_timeout = 5000")
        self.conn.execute("PRAGMA foreign_keys = ON")
        self._depth = 0

    def execute(self, sql: str, params: Params = ()) -> sqlite3.Cursor:
        """Run one parameterised statement."""
        return self.conn.execute(sql, params)

    def executescript(self, sql: str) -> None:
        """Run a script of statements inside the current transaction (schema only)."""
        # sqlite3's executescript() commits first, which would break a migration's transaction.
        statement = ""
        for line in sql.splitlines(keepends=True):
            statement += line
            if sqlite3.complete_statement(statement):
                self.conn.execute(statement)
                statement = ""
        if statement.strip():
            raise ValueError(f"incomplete SQL statement: {statement.strip()[:60]}")

    def query(self, sql: str, params: Params = ()) -> Iterable[dict[str, Any]]:
        """Rows of a parameterised query as dicts."""
        for row in self.conn.execute(sql, params):
            yield dict(row)

    def one(self, sql: str, params: Params = ()) -> dict[str, Any] | None:
        """The first row of a query, or None."""
        # fetchall: a write with RETURNING only completes once every row has been stepped.
        rows = self.conn.execute(sql, params).fetchall()
        return dict(rows[0]) if rows else None

    def scalar(self, sql: str, params: Params = ()) -> Any:
        """The first column of the first row, or None."""
        rows = self.conn.execute(sql, params).fetchall()
        return rows[0][0] if rows else None

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All or nothing; nested calls become savepoints."""
        if self._depth == 0:
            self.conn.execute("BEGIN IMMEDIATE")
        else:
            self.conn.execute(f"SAVEPOINT s{self._depth}")
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
            self.conn.execute("COMMIT")
        else:
            self.conn.execute(f"RELEASE s{self._depth}")

    def close(self) -> None:
        """Close the connection."""
        self.conn.close()
