"""Every table and index, as an ordered list of forward migrations applied once each.

One module a migration, named m<number>_<what>.py; its ID is what the store records.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import NamedTuple

from bot.core.clock import iso
from bot.core.errors import StoreBusy
from bot.store.database import Database
from bot.store.migrations import (
    m0001_foundation,
    m0005_orders,
    m0006_loyalty,
    m0007_staff,
    m0008_kb_tools,
    m0009_order_failure_index,
    m0010_order_event_times,
    m0011_delivery_leases,
    m0012_outbox_queues,
    m0013_lookup_sources,
    m0020_phrasing_vectors,
    m0030_web_chat,
    m0040_console_sessions,
    m0041_canned_replies,
    m0050_outbox_request_ids,
    m0060_wechat_answers_waiting,
    m0069_held_retention,
    m0080_retention_indexes,
    m0081_outbox_unfinished,
    m0090_arrival_order,
)

log = logging.getLogger(__name__)


class Migration(NamedTuple):
    """One forward step of the schema: its recorded id and what it does."""

    id: str
    apply: Callable[[Database], None]


# Append new migrations at the end; never edit or reorder one that has shipped.
MIGRATIONS: list[Migration] = [
    Migration(module.ID, module.apply)
    for module in (
        m0001_foundation,
        m0005_orders,
        m0006_loyalty,
        m0007_staff,
        m0008_kb_tools,
        m0009_order_failure_index,
        m0010_order_event_times,
        m0011_delivery_leases,
        m0012_outbox_queues,
        m0013_lookup_sources,
        m0020_phrasing_vectors,
        m0030_web_chat,
        m0040_console_sessions,
        m0041_canned_replies,
        m0050_outbox_request_ids,
        m0060_wechat_answers_waiting,
        m0080_retention_indexes,
        m0081_outbox_unfinished,
        m0069_held_retention,
        m0090_arrival_order,
    )
]


def ensure_schema(db: Database, wait_seconds: float = 30.0) -> int:
    """Apply every migration not yet applied; return how many are applied in all.

    At start-up another process may hold the lock (migrating too): wait for it a while.
    """
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            return _migrate(db)
        except StoreBusy:
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.2)


def _migrate(db: Database) -> int:
    db.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (id TEXT PRIMARY KEY, applied_at TEXT)"
    )
    applied = {row["id"] for row in db.query("SELECT id FROM schema_migrations")}
    for name, migrate in MIGRATIONS:
        if name in applied:
            continue
        db.execute("BEGIN IMMEDIATE")  # StoreBusy here leaves nothing open
        try:
            # Another process may have applied it while we waited for the lock.
            if db.execute("SELECT 1 FROM schema_migrations WHERE id = ?", [name]).fetchone():
                db.execute("COMMIT")
                continue
            migrate(db)
            db.execute(
                "INSERT INTO schema_migrations (id, applied_at) VALUES (?, ?)", [name, iso()]
            )
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        log.info("applied migration %s", name)
    count = db.execute("SELECT count(*) FROM schema_migrations").fetchone()[0]
    db.execute(f"PRAGMA user_version = {int(count)}")
    return int(count)
