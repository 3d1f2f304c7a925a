"""Migration 0007_staff: audit log, confirmations, handoffs, broadcasts and opt-ins."""

from __future__ import annotations

from bot.store.database import Database

ID = "0007_staff"


def apply(db: Database) -> None:
    """Audit log, confirmations, handoffs, broadcasts and opt-ins."""
    db.executescript(
        """
        CREATE TABLE staff_audit (
            id INTEGER PRIMARY KEY,
            staff TEXT NOT NULL,
            role TEXT NOT NULL,
            action TEXT NOT NULL,
            target TEXT NOT NULL DEFAULT '',
            before TEXT,
            after TEXT,
            created_at TEXT NOT NULL
        );
        CREATE TABLE staff_confirmations (
            code TEXT PRIMARY KEY,
            staff TEXT NOT NULL,
            action TEXT NOT NULL,
            arguments TEXT NOT NULL,
            summary TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            expires_at TEXT NOT NULL,
            used_at TEXT
        );
        CREATE TABLE handoffs (
            id INTEGER PRIMARY KEY,
            customer_id TEXT NOT NULL,
            platform TEXT NOT NULL,
            chat_id TEXT NOT NULL,
            user_id TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('queued', 'claimed', 'closed')),
            agent TEXT,
            requested_at TEXT NOT NULL,
            claimed_at TEXT,
            active_at TEXT NOT NULL,
            closed_at TEXT,
            close_reason TEXT,
            rating INTEGER CHECK (rating BETWEEN 1 AND 5),
            rated_at TEXT
        );
        CREATE INDEX handoffs_customer ON handoffs(customer_id, status);
        CREATE INDEX handoffs_agent ON handoffs(agent, status);
        CREATE TABLE broadcast_optins (
            customer_id TEXT PRIMARY KEY,
            opted_in INTEGER NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE TABLE broadcasts (
            id INTEGER PRIMARY KEY,
            staff TEXT NOT NULL,
            segment TEXT NOT NULL,
            text TEXT NOT NULL,
            queued INTEGER NOT NULL,
            skipped INTEGER NOT NULL,
            outbox_prefix TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        """
    )
