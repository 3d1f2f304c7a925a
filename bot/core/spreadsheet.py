"""CSV files that staff open in a spreadsheet: cells that cannot become formulas on the way out,
and reading whatever Excel, LibreOffice or Numbers saved on the way in.

A cell starting with = + - @, a tab or a carriage return is a formula to a spreadsheet (OWASP
"CSV injection"), so it is written with an apostrophe in front, which reading takes off again.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
GUARD = "'"
DELIMITERS = (",", ";", "\t")  # Excel saves ";" where the decimal mark is a comma
# What a formula that went wrong leaves in a cell when the sheet is saved again.
ERROR_VALUES = frozenset({
    "#NAME?", "#VALUE!", "#REF!", "#DIV/0!", "#N/A", "#NUM!", "#NULL!", "#SPILL!", "#CALC!",
    "Err:502", "Err:504", "Err:508", "Err:509", "Err:522",
})
SAVE_AS_UTF8 = (
    'save it as "CSV UTF-8" in Excel, or with the Unicode (UTF-8) character set in LibreOffice'
)
_CSV_ERRORS = {  # the endings of the csv module's messages, in words for staff
    "unexpected end of data": "a quoted cell is never closed (a stray \" ?)",
    "expected after '\"'": 'text after the closing quote of a cell (write a quote as "")',
}


def guard_cell(text: str) -> str:
    """`text` as a cell that no spreadsheet runs as a formula."""
    # Apostrophes already in front get one more, so that unguard_cell is the exact inverse.
    return GUARD + text if _needs_guard(text.lstrip(GUARD)) else text


def unguard_cell(text: str) -> str:
    """The text that guard_cell turned into this cell."""
    rest = text.lstrip(GUARD)
    return text[1:] if rest != text and _needs_guard(rest) else text


def _needs_guard(text: str) -> bool:
    # A text that reads like a formula's error value ("Err:502") would be refused on import.
    return text.startswith(FORMULA_STARTS) or text in ERROR_VALUES


def dump_rows(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """CSV text with a header, every cell guarded, lines ended as Excel ends them."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([guard_cell(name) for name in header])
    writer.writerows([guard_cell(cell) for cell in row] for row in rows)
    return out.getvalue()


def decode(data: bytes, name: str) -> tuple[str, list[str]]:
    """The text of a saved CSV file (UTF-8 with or without a BOM, or UTF-16), or its problem."""
    utf16 = data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    try:
        return data.decode("utf-16" if utf16 else "utf-8-sig"), []
    except UnicodeDecodeError as error:
        line = data[:error.start].decode("utf-16" if utf16 else "utf-8-sig").count("\n") + 1
        encoding = "UTF-16" if utf16 else "UTF-8"
        return "", [f"{name} line {line}: the file is not {encoding} text; {SAVE_AS_UTF8}"]


@dataclass(slots=True)
class Sheet:
    """The rows of a CSV file as {column: cell}, each with its spreadsheet row number."""

    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # every one, for people, in file order
    rejected: list[tuple[int, str]] = field(default_factory=list)  # unusable rows, with why
    # False when the file itself is unusable (no header, a broken one, a quoting error that
    # stopped reading): then rows may be missing, not just the rejected ones.
    complete: bool = True


def _delimiter(first_line: str, columns: Sequence[str]) -> str:
    """The delimiter that splits the header into the most known column names."""
    def known(delimiter: str) -> int:
        cells = next(csv.reader([first_line], delimiter=delimiter), [])
        return sum(cell.strip().casefold() in columns for cell in cells)

    return max(DELIMITERS, key=known)  # max keeps the first on a tie: ","


def read_sheet(
    text: str, name: str, columns: Sequence[str], required: Sequence[str], *,
    extra_columns: bool = False,
) -> Sheet:
    """Rows of CSV text whose first row names its columns, and every problem, by row number.

    Row numbers are those a spreadsheet shows: the header is row 1 and a cell with line
    breaks inside is still one row. Blank rows are skipped; cells are stripped and unguarded.
    With `extra_columns`, columns not in `columns` are read along instead of refused.
    """
    sheet = Sheet()
    text = text.removeprefix("\ufeff")
    first, _, rest = text.partition("\n")
    hint = first.removesuffix("\r")
    if hint.casefold().startswith("sep=") and len(hint) == 5:
        delimiter, text = hint[4], rest  # Excel's "sep=;" line, not a row
    else:
        delimiter = _delimiter(first, columns)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    header: list[str] | None = None
    number = 0
    try:
        for number, cells in enumerate(reader, start=1):
            if header is None:
                header = _header(cells, name, columns, required, extra_columns, sheet.problems)
                if header is None:
                    sheet.complete = False
                    return sheet
                continue
            row = _row(cells, header)
            if isinstance(row, str):
                sheet.rejected.append((number, row))
                sheet.problems.append(f"{name} row {number}: {row}")
            elif row is not None:
                sheet.rows.append((number, row))
    except csv.Error as error:
        reason = next(
            (words for end, words in _CSV_ERRORS.items() if str(error).endswith(end)), str(error)
        )
        sheet.problems.append(f"{name} row {number + 1}: {reason}; nothing after it was read")
        sheet.complete = False
    if number == 0 and not sheet.problems:
        sheet.problems.append(
            f"{name}: the file is empty (row 1 must name the columns {', '.join(columns)})"
        )
        sheet.complete = False
    return sheet


def _header(
    cells: list[str], name: str, columns: Sequence[str], required: Sequence[str],
    extra_columns: bool, problems: list[str],
) -> list[str] | None:
    """The column of each cell ('' for an unnamed one), or None when rows cannot be read."""
    header = [cell.strip().casefold() for cell in cells]
    where = f"{name} row 1"
    known = ", ".join(columns)
    if not set(header) & set(columns):
        problems.append(f"{where}: no column names; row 1 must name the columns ({known})")
        return None
    found = len(problems)
    for column in dict.fromkeys(header):
        if column and header.count(column) > 1:
            problems.append(f"{where}: column {column!r} appears {header.count(column)} times")
        elif column and column not in columns and not extra_columns:
            problems.append(f"{where}: unknown column {column!r}: remove or rename it"
                            f" (columns: {known})")
    missing = [column for column in required if column not in header]
    if missing:
        problems.append(f"{where}: missing column(s) {', '.join(missing)}: row 1 must name the"
                        f" columns ({known})")
    return None if len(problems) > found else header


def _row(cells: list[str], header: list[str]) -> dict[str, str] | str | None:
    """One row as {column: cell}, None when it is blank, or what makes it unusable."""
    values = [unguard_cell(cell.strip()) for cell in cells]
    if not any(values):
        return None  # a blank row left in the sheet, or only its delimiters
    values += [""] * (len(header) - len(values))
    pairs = list(zip(header, values[:len(header)], strict=True))
    if any(values[len(header):]) or any(value for column, value in pairs if not column):
        named = len([column for column in header if column])
        return (
            f"{len(cells)} cells but {named} named columns"
            " (a delimiter inside an unquoted cell? put the cell in quotes)"
        )
    for column, cell in zip(header, cells, strict=False):
        value = cell.strip()
        if value in ERROR_VALUES:  # as typed: "'Err:502" is the text, "Err:502" the error
            return (
                f"{column} is {value}, a spreadsheet formula error; type the text"
                " again with an apostrophe (') in front"
            )
    return {column: value for column, value in pairs if column}
