"""`brandbot orders import FILE.csv|.json`: upsert orders by number and report every row."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.config import Config
from bot.core.clock import Clock
from bot.core.errors import OrderError, OrderFileError
from bot.core.order import order_from_record
from bot.core.spreadsheet import decode, read_sheet
from bot.store import Store

log = logging.getLogger(__name__)

COLUMNS = (
    "number", "status", "items", "amount", "currency", "carrier", "tracking_number",
    "expected_on", "phone", "email", "customer_id", "province", "city", "address", "placed_at",
)
REQUIRED = ("number", "status", "items", "amount")
BATCH = 500
SEEDED_KEY = "orders:samples-seeded"

Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class Unusable:
    """A row the file itself spoils (too many cells, a formula error), and why."""

    reason: str


Record = Mapping[str, Any] | Unusable


@dataclass(slots=True)
class ImportReport:
    """What an import did: counts of accepted rows, and each rejected row with its reason."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[tuple[str, str]] = field(default_factory=list)

    @property
    def accepted(self) -> int:
        """Rows that are now in the store as given."""
        return self.inserted + self.updated + self.unchanged

    def summary(self) -> str:
        """One line for people."""
        return (
            f"{self.accepted} accepted ({self.inserted} new, {self.updated} updated,"
            f" {self.unchanged} unchanged), {len(self.rejected)} rejected"
        )


def read_records(path: Path) -> tuple[int, Iterator[tuple[str, Record]]]:
    """How many records the file holds, and each one with where it is ('row 3', 'item 2')."""
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".json"):
        raise OrderFileError([f"{path}: the file name must end in .csv or .json"])
    try:
        data = path.read_bytes()
    except OSError as error:
        raise OrderFileError([f"{path}: cannot read it ({error})"]) from None
    return _read_csv(data, path.name) if suffix == ".csv" else _read_json(data, path)


def _read_csv(data: bytes, name: str) -> tuple[int, Iterator[tuple[str, Record]]]:
    """The rows of a spreadsheet, read whole or not at all (row numbers as it shows them)."""
    # Bytes, not read_text: its newline translation would change line breaks inside cells.
    text, unreadable = decode(data, name)
    if unreadable:
        raise OrderFileError(unreadable)
    sheet = read_sheet(text, name, COLUMNS, REQUIRED)
    if not sheet.complete:  # rows would be missing without a word: import none of them
        raise OrderFileError(sheet.problems)
    records: list[tuple[int, Record]] = [*sheet.rows]
    records += [(number, Unusable(reason)) for number, reason in sheet.rejected]
    records.sort(key=lambda entry: entry[0])
    return len(records), ((f"row {number}", record) for number, record in records)


def _read_json(data: bytes, path: Path) -> tuple[int, Iterator[tuple[str, Record]]]:
    try:
        loaded = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as error:
        raise OrderFileError([f"{path}: cannot read it ({error})"]) from None
    except ValueError as error:
        raise OrderFileError([f"{path}: not valid JSON ({error})"]) from None
    if isinstance(loaded, dict) and isinstance(loaded.get("orders"), list):
        loaded = loaded["orders"]
    if not isinstance(loaded, list):
        raise OrderFileError([f"{path}: expected a list of orders or {{\"orders\": [...]}}"])
    return len(loaded), ((f"item {index}", record) for index, record in enumerate(loaded, 1))


def import_orders(
    path: Path, store: Store, now: datetime, progress: Progress | None = None
) -> ImportReport:
    """Upsert every valid record by order number; invalid ones are reported, never stored."""
    total, records = read_records(path)
    report = ImportReport()
    done = 0
    batch: list[tuple[str, Record]] = []

    def flush() -> None:
        with store.transaction():
            for where, record in batch:
                _import_one(where, record, store, now, report)
        batch.clear()

    for where, record in records:
        batch.append((where, record))
        done += 1
        if len(batch) >= BATCH:
            flush()
            if progress is not None:
                progress(done, total)
    flush()
    if progress is not None:
        progress(done, total)
    return report


def _import_one(
    where: str, record: Record, store: Store, now: datetime, report: ImportReport
) -> None:
    if isinstance(record, Unusable):
        report.rejected.append((where, record.reason))
        return
    if not isinstance(record, Mapping):
        report.rejected.append((where, "not an object"))
        return
    unknown = sorted(set(record) - set(COLUMNS))
    if unknown:
        report.rejected.append((where, f"unknown fields: {', '.join(unknown)}"))
        return
    try:
        order = order_from_record(record)
    except OrderError as error:
        number = str(record.get("number", "")).strip()
        report.rejected.append((f"{where} ({number})" if number else where, str(error)))
        return
    outcome = store.orders.upsert(order, now)
    setattr(report, outcome, getattr(report, outcome) + 1)


def seed_orders(config: Config, store: Store, clock: Clock) -> int:
    """Load the sample orders into a store that never had any, so the demo works."""
    settings = config.orders
    if settings.source != "store" or not settings.samples:
        return 0
    if store.kv.get(SEEDED_KEY) is not None or store.orders.count():
        return 0
    path = config.resolve(settings.samples)
    if not path.exists():
        log.warning("sample orders file %s not found: no sample orders loaded", path)
        return 0
    report = import_orders(path, store, clock.now())
    for where, reason in report.rejected:
        log.warning("sample orders %s %s: %s", path.name, where, reason)
    store.kv.set(SEEDED_KEY, report.summary(), clock.now())
    log.info("loaded sample orders from %s: %s", path, report.summary())
    return report.accepted
