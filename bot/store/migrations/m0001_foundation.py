"""Migration 0001_foundation: customers, the log, deliveries, the outbox, FAQs, key-values."""

from __future__ import annotations

from bot.store.database import Database

ID = "0001_foundation"


def apply(db: Database) -> None:
    """Customers, the log, deliveries, dead letters, the outbox, FAQs, key-values."""
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
