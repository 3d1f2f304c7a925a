"""Migration 0040_console_sessions: the staff console's sign-in links, sessions and attempts."""

from __future__ import annotations

from bot.store.database import Database

ID = "0040_console_sessions"


def apply(db: Database) -> None:
    """Sign-in links (by hash), sessions (by hash) and sign-in attempts for the rate limit."""
    db.executescript(
        """
        CREATE TABLE console_links (
            token_hash TEXT PRIMARY KEY,
            staff TEXT NOT NULL,
            created_by TEXT NOT NULL,
            created_at TEXT NOT NULL,
            expires_at TEXT NOT NULL,
            used_at TEXT
        );
        CREATE TABLE console_sessions (
            id_hash TEXT PRIMARY KEY,
            staff TEXT NOT NULL,
            created_at TEXT NOT NULL,
            expires_at TEXT NOT NULL,
            last_seen_at TEXT NOT NULL,
            revoked_at TEXT,
            revoked_by TEXT,
            client TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX console_sessions_staff ON console_sessions(staff, expires_at);
        CREATE TABLE console_signin_failures (
            id INTEGER PRIMARY KEY,
            source TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        CREATE INDEX console_signin_failures_source ON console_signin_failures(source, created_at);
        CREATE INDEX staff_audit_created ON staff_audit(created_at);
        CREATE INDEX handoffs_requested ON handoffs(requested_at);
        CREATE INDEX conversation_log_created ON conversation_log(created_at);
        """
    )
