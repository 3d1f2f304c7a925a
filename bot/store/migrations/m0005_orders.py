"""Migration 0005_orders: the tables of order lookup."""

from __future__ import annotations

from bot.store.database import Database

ID = "0005_orders"


def apply(db: Database) -> None:
    """The tables of order lookup."""
    db.executescript(
        """
        CREATE TABLE orders (
            number TEXT PRIMARY KEY,
            status TEXT NOT NULL,
            items TEXT NOT NULL,
            amount TEXT NOT NULL,
            currency TEXT NOT NULL DEFAULT 'CNY',
            carrier TEXT NOT NULL DEFAULT '',
            tracking_number TEXT NOT NULL DEFAULT '',
            expected_on TEXT NOT NULL DEFAULT '',
            phone TEXT NOT NULL DEFAULT '',
            phone_tail TEXT NOT NULL DEFAULT '',
            email TEXT NOT NULL DEFAULT '',
            customer_id TEXT NOT NULL DEFAULT '',
            province TEXT NOT NULL DEFAULT '',
            city TEXT NOT NULL DEFAULT '',
            address TEXT NOT NULL DEFAULT '',
            placed_at TEXT NOT NULL DEFAULT '',
            status_at TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX orders_customer ON orders(customer_id);
        CREATE INDEX orders_phone ON orders(phone_tail);
        CREATE TABLE customer_phones (
            customer_id TEXT NOT NULL,
            phone TEXT NOT NULL,
            phone_tail TEXT NOT NULL,
            source TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            PRIMARY KEY (customer_id, phone)
        );
        CREATE INDEX customer_phones_tail ON customer_phones(phone_tail);
        CREATE TABLE order_access (
            customer_id TEXT NOT NULL,
            order_number TEXT NOT NULL,
            how TEXT NOT NULL,
            verified_at TEXT NOT NULL,
            PRIMARY KEY (customer_id, order_number)
        );
        CREATE INDEX order_access_number ON order_access(order_number);
        CREATE TABLE order_lookup_failures (
            id INTEGER PRIMARY KEY,
            customer_id TEXT NOT NULL,
            order_number TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        CREATE INDEX order_lookup_failures_customer
            ON order_lookup_failures(customer_id, created_at);
        CREATE TABLE order_lookup_pauses (
            customer_id TEXT PRIMARY KEY,
            failures INTEGER NOT NULL,
            paused_at TEXT NOT NULL,
            paused_until TEXT NOT NULL
        );
        CREATE TABLE order_pending_lookups (
            id INTEGER PRIMARY KEY,
            customer_id TEXT NOT NULL,
            order_number TEXT NOT NULL,
            factor TEXT,
            language TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'delivered', 'undelivered', 'expired')),
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE UNIQUE INDEX order_pending_open
            ON order_pending_lookups(customer_id, order_number) WHERE status = 'pending';
        CREATE TABLE order_events (
            event_id TEXT PRIMARY KEY,
            order_number TEXT NOT NULL,
            status TEXT NOT NULL,
            body TEXT NOT NULL,
            result TEXT,
            received_at TEXT NOT NULL
        );
        """
    )
