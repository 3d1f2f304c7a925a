"""The SQLite connection class: counts the statements that failed, busy ones apart."""

from __future__ import annotations

import sqlite3
from typing import Any

# Primary result codes (the low byte of an extended code): another connection holds the lock.
BUSY_CODES = (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


class CountingConnection(sqlite3.Connection):
    """A connection that counts failed statements, so operators can see a struggling store."""

    busy = 0  # refused because another connection held the lock past the busy timeout
    errors = 0  # every other failure (disk full, read-only file, corruption, bad SQL)

    def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:
        """Run a statement, counting it if it fails."""
        try:
            return super().execute(sql, parameters)
        except sqlite3.Error as error:
            if getattr(error, "sqlite_errorcode", 0) & 0xFF in BUSY_CODES:
                self.busy += 1
            else:
                self.errors += 1
            raise
