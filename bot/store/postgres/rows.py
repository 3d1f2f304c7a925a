"""Rows and results as the store modules know them from sqlite3: by name and by position."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any

from psycopg import postgres
from psycopg.abc import AdaptContext, Buffer
from psycopg.adapt import Dumper, Loader


class Row:
    """One row: `row["name"]`, `row[0]`, `dict(row)`, like sqlite3.Row."""

    __slots__ = ("_names", "_values")

    def __init__(self, names: tuple[str, ...], values: Sequence[Any]) -> None:
        self._names = names
        self._values = tuple(values)

    def keys(self) -> list[str]:
        """The column names."""
        return list(self._names)

    def __getitem__(self, key: int | str) -> Any:
        if isinstance(key, int):
            return self._values[key]
        return self._values[self._names.index(key)]

    def __iter__(self) -> Iterator[Any]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"Row({dict(zip(self._names, self._values, strict=True))!r})"


def row_factory(cursor: Any) -> Any:
    """psycopg's row factory making Rows."""
    names = tuple(column.name for column in cursor.description or ())

    def make(values: Sequence[Any]) -> Row:
        return Row(names, values)

    return make


class Result:
    """A finished statement: what sqlite3's cursor would have said about it."""

    def __init__(self, rows: list[Row], rowcount: int, lastrowid: int | None = None) -> None:
        self._rows = rows
        self._next = 0
        self.rowcount = rowcount
        self.lastrowid = lastrowid

    @property
    def rows(self) -> list[Row]:
        """Every row the statement returned."""
        return self._rows

    def fetchone(self) -> Row | None:
        """The next row, or None."""
        if self._next >= len(self._rows):
            return None
        self._next += 1
        return self._rows[self._next - 1]

    def fetchall(self) -> list[Row]:
        """The rows not fetched yet."""
        rest, self._next = self._rows[self._next:], len(self._rows)
        return rest


class BooleanAsInteger(Dumper):
    """True and False go as 1 and 0: the schema keeps flags in integer columns, as SQLite."""

    oid = postgres.types["int8"].oid

    def dump(self, obj: Any) -> Buffer:
        """1 or 0."""
        return b"1" if obj else b"0"


class IntegerAsBigint(Dumper):
    """Every int goes as a bigint (psycopg would pick int2 for small ones, numeric for huge)."""

    oid = postgres.types["int8"].oid

    def dump(self, obj: Any) -> Buffer:
        """The decimal digits."""
        return str(int(obj)).encode()


class NumericAsNumber(Loader):
    """sum() and avg() of integers come back as int (whole) or float, as from SQLite."""

    def load(self, data: Buffer) -> Any:
        """An int when whole, else a float."""
        value = Decimal(bytes(data).decode())
        return int(value) if value == value.to_integral_value() else float(value)


def configure(context: AdaptContext) -> None:
    """Teach a connection the store's value conventions."""
    adapters = context.adapters
    adapters.register_dumper(bool, BooleanAsInteger)
    adapters.register_dumper(int, IntegerAsBigint)
    adapters.register_loader("numeric", NumericAsNumber)
