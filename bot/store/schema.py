"""Every table and index, as an ordered list of forward migrations applied once each."""

from __future__ import annotations

import logging
from collections.abc import Callable

from bot.clock import iso
from bot.store.database import Database
from bot.store.kb_tables import create_kb_tools_tables
from bot.store.loyalty_schema import migrate_loyalty
from bot.store.orders import migrate_order_event_times, migrate_orders
from bot.store.staff import migrate_staff

log = logging.getLogger(__name__)

Migration = tuple[str, Callable[[Database], None]]


def _foundation(db: Database) -> None:
    db.executescript(
        """
        CREATE TABLE customers (
            id TEXT PRIMARY KEY,
            display_name TEXT NOT NULL DEFAULT '',
            language TEXT NOT NULL DEFAULT 'zh-Hans',
            blocked INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL
        );
        CREATE TABLE identities (
            platform TEXT NOT NULL,
            user_id TEXT NOT NULL,
            customer_id TEXT NOT NULL REFERENCES customers(id),
            display_name TEXT NOT NULL DEFAULT '',
            unreachable INTEGER NOT NULL DEFAULT 0,
            last_inbound_at TEXT,
            created_at TEXT NOT NULL,
            PRIMARY KEY (platform, user_id)
        );
        CREATE INDEX identities_customer ON identities(customer_id);
        CREATE TABLE conversation_log (
            id INTEGER PRIMARY KEY,
            customer_id TEXT NOT NULL,
            platform TEXT NOT NULL,
            chat_id TEXT NOT NULL,
            direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),
            kind TEXT NOT NULL,
            text TEXT NOT NULL DEFAULT '',
            payload TEXT,
            message_id TEXT,
            source_id TEXT,
            route TEXT,
            created_at TEXT NOT NULL
        );
        CREATE INDEX conversation_log_customer ON conversation_log(customer_id, id);
        CREATE INDEX conversation_log_source ON conversation_log(platform, source_id);
        CREATE TABLE conversation_state (
            customer_id TEXT PRIMARY KEY,
            flow TEXT NOT NULL,
            slots TEXT NOT NULL DEFAULT '{}',
            expires_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE TABLE deliveries (
            platform TEXT NOT NULL,
            delivery_key TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('received', 'handled')),
            message TEXT NOT NULL,
            replies TEXT,
            received_at TEXT NOT NULL,
            handled_at TEXT,
            PRIMARY KEY (platform, delivery_key)
        );
        CREATE INDEX deliveries_status ON deliveries(status, received_at);
        CREATE TABLE dead_letters (
            id INTEGER PRIMARY KEY,
            platform TEXT NOT NULL,
            reason TEXT NOT NULL,
            headers TEXT NOT NULL DEFAULT '{}',
            body BLOB NOT NULL,
            received_at TEXT NOT NULL
        );
        CREATE TABLE outbox (
            id INTEGER PRIMARY KEY,
            platform TEXT NOT NULL,
            chat_id TEXT NOT NULL,
            user_id TEXT NOT NULL DEFAULT '',
            is_group INTEGER NOT NULL DEFAULT 0,
            method TEXT NOT NULL DEFAULT 'POST',
            path TEXT NOT NULL,
            body TEXT NOT NULL,
            dedupe_key TEXT UNIQUE,
            status TEXT NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'undeliverable')),
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at TEXT NOT NULL,
            lease_until TEXT,
            last_error TEXT NOT NULL DEFAULT '',
            platform_message_id TEXT,
            delivery_state TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX outbox_due ON outbox(status, next_attempt_at);
        CREATE INDEX outbox_platform_message ON outbox(platform, platform_message_id);
        CREATE TABLE faqs (
            id TEXT PRIMARY KEY,
            data TEXT NOT NULL,
            enabled INTEGER NOT NULL DEFAULT 1,
            updated_at TEXT NOT NULL,
            updated_by TEXT NOT NULL DEFAULT ''
        );
        CREATE TABLE kv (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL,
            expires_at TEXT,
            updated_at TEXT NOT NULL
        );
        """
    )


def _index_order_failures(db: Database) -> None:
    # Failed second factors are counted per order too (see Orders.is_order_locked).
    db.execute(
        "CREATE INDEX order_lookup_failures_order"
        " ON order_lookup_failures(order_number, created_at)"
    )


# Append new migrations at the end; never edit or reorder one that has shipped.
MIGRATIONS: list[Migration] = [
    ("0001_foundation", _foundation),
    ("0005_orders", migrate_orders),
    ("0006_loyalty", migrate_loyalty),
    ("0007_staff", migrate_staff),
    ("0008_kb_tools", create_kb_tools_tables),
    ("0009_order_failure_index", _index_order_failures),
    ("0010_order_event_times", migrate_order_event_times),
]


def ensure_schema(db: Database) -> int:
    """Apply every migration not yet applied; return how many are applied in all."""
    db.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (id TEXT PRIMARY KEY, applied_at TEXT)"
    )
    applied = {row["id"] for row in db.query("SELECT id FROM schema_migrations")}
    for name, migrate in MIGRATIONS:
        if name in applied:
            continue
        db.execute("BEGIN IMMEDIATE")
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
