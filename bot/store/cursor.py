"""What a statement gives back on either backend: its row count, a new row's id, its rows."""

from __future__ import annotations

from typing import Any, Protocol


class Cursor(Protocol):
    """The part of sqlite3.Cursor the store uses (PostgreSQL's result has the same)."""

    @property
    def rowcount(self) -> int:
        """Rows changed by the statement."""
        ...

    @property
    def lastrowid(self) -> int | None:
        """The id of the row an INSERT added."""
        ...

    def fetchone(self) -> Any:
        """The next row, or None."""
        ...

    def fetchall(self) -> list[Any]:
        """The remaining rows."""
        ...
