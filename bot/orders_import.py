"""`brandbot orders import FILE.csv|.json`: upsert orders by number and report every row."""

from __future__ import annotations

import csv
import json
import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.clock import Clock
from bot.config import Config
from bot.errors import BotError
from bot.order import OrderError, order_from_record
from bot.store import Store

log = logging.getLogger(__name__)

COLUMNS = {
    "number", "status", "items", "amount", "currency", "carrier", "tracking_number",
    "expected_on", "phone", "email", "customer_id", "province", "city", "address", "placed_at",
}
REQUIRED = ("number", "status", "items", "amount")
BATCH = 500
SEEDED_KEY = "orders:samples-seeded"

Progress = Callable[[int, int], None]


class OrderFileError(BotError):
    """The file as a whole cannot be imported (unreadable, wrong type, unknown columns)."""


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


def _check_columns(names: list[str]) -> None:
    unknown = sorted(set(names) - COLUMNS)
    missing = [name for name in REQUIRED if name not in names]
    problems = []
    if unknown:
        problems.append(f"unknown columns: {', '.join(unknown)}")
    if missing:
        problems.append(f"missing columns: {', '.join(missing)}")
    if problems:
        raise OrderFileError(f"{'; '.join(problems)} (known: {', '.join(sorted(COLUMNS))})")


def read_records(path: Path) -> tuple[int, Iterator[tuple[str, Mapping[str, Any]]]]:
    """How many records the file holds, and each one with where it is ('line 3', 'item 2')."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise OrderFileError(f"{path}: cannot read it ({error})") from None
    suffix = path.suffix.lower()
    if suffix == ".csv":
        reader = csv.DictReader(text.splitlines())
        _check_columns([name.strip() for name in reader.fieldnames or []])
        total = max(sum(1 for line in text.splitlines()[1:] if line.strip()), 0)

        def rows() -> Iterator[tuple[str, Mapping[str, Any]]]:
            for row in reader:
                if None in row:
                    yield f"line {reader.line_num}", {"__error__": "more cells than columns"}
                    continue
                yield f"line {reader.line_num}", {
                    (key or "").strip(): value for key, value in row.items()
                }

        return total, rows()
    if suffix == ".json":
        try:
            data = json.loads(text)
        except ValueError as error:
            raise OrderFileError(f"{path}: not valid JSON ({error})") from None
        if isinstance(data, dict) and isinstance(data.get("orders"), list):
            data = data["orders"]
        if not isinstance(data, list):
            raise OrderFileError(f"{path}: expected a list of orders or {{\"orders\": [...]}}")
        return len(data), ((f"item {index}", record) for index, record in enumerate(data, 1))
    raise OrderFileError(f"{path}: the file name must end in .csv or .json")


def import_orders(
    path: Path, store: Store, now: datetime, progress: Progress | None = None
) -> ImportReport:
    """Upsert every valid record by order number; invalid ones are reported, never stored."""
    total, records = read_records(path)
    report = ImportReport()
    done = 0
    batch: list[tuple[str, Mapping[str, Any]]] = []

    def flush() -> None:
        with store.db.transaction():
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
    where: str, record: Mapping[str, Any], store: Store, now: datetime, report: ImportReport
) -> None:
    if not isinstance(record, Mapping):
        report.rejected.append((where, "not an object"))
        return
    if "__error__" in record:
        report.rejected.append((where, str(record["__error__"])))
        return
    unknown = sorted(set(record) - COLUMNS)
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
