"""Reading the templates platforms send notices with: which notice kinds, and placeholders
({number}, {carrier}, {points}, {date} …) that the notice really carries."""

from __future__ import annotations

import string
from collections.abc import Callable, Iterator
from typing import TypeVar

from bot.config.reader import TableReader
from bot.core.message import NOTICE_FIELDS, NoticeKind

T = TypeVar("T")


def placeholders(text: str) -> list[str]:
    """The `{name}` placeholders of a template text; ValueError if its braces are broken."""
    return [name for _, name, _, _ in string.Formatter().parse(text) if name is not None]


def check_text(table: TableReader, key: str, text: str, kind: NoticeKind) -> None:
    """Record a problem unless every placeholder of `text` is a field of `kind` notices."""
    allowed = NOTICE_FIELDS[kind]
    try:
        names = placeholders(text)
    except ValueError as error:
        table.problem(key, f"{text!r} has broken braces ({error}); write {{name}}")
        return
    unknown = [name for name in names if name not in allowed]
    if unknown:
        table.problem(
            key, f"{{{unknown[0]}}} is not a field of {kind.value} (use "
            + ", ".join(f"{{{name}}}" for name in allowed) + ")",
        )


def required(table: TableReader, key: str, what: str) -> str:
    """A string that must be there (a template's name or id); a problem saying `what` if not."""
    value = table.string(key).strip()
    if not value:
        table.problem(key, f"must be {what}")
    return value


def template_text(table: TableReader, key: str, kind: NoticeKind) -> str:
    """An optional text with placeholders of `kind` notices (a link, a button's end)."""
    value = table.string(key)
    if value:
        check_text(table, key, value, kind)
    return value


def read_kinds(
    table: TableReader, key: str, read: Callable[[TableReader, NoticeKind], T | None]
) -> dict[NoticeKind, T]:
    """Each `[<table>.<key>.<kind>]` read with `read`; unknown kinds are problems."""
    section = table.subtable(key)
    found: dict[NoticeKind, T] = {}
    for name in section.table:
        section.mark_read(name)
        kind = _kind(name)
        if kind is None:
            section.problem(name, "is not a kind of notice (known: "
                            + ", ".join(kind.value for kind in NoticeKind) + ")")
            continue
        entry = section.subtable(name)
        value = read(entry, kind)
        entry.finish()
        if value is not None:
            found[kind] = value
    return found


def string_table(table: TableReader, key: str) -> Iterator[tuple[str, str]]:
    """The (key, string) pairs of a table of strings; other values are problems."""
    section = table.subtable(key)
    for name, value in section.table.items():
        section.mark_read(name)
        if isinstance(value, str):
            yield name, value
        else:
            section.problem(name, f"must be a string, got {type(value).__name__}")


def _kind(name: str) -> NoticeKind | None:
    try:
        return NoticeKind(name)
    except ValueError:
        return None
