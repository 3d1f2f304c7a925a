"""Migration 0030_web_chat: web chat sessions, the generated signing secret, customers' photos."""

from __future__ import annotations

from bot.store.database import Database

ID = "0030_web_chat"


def apply(db: Database) -> None:
    """Web chat sessions, the generated signing secret, customers' photos."""
    db.executescript(
        """
        CREATE TABLE web_secrets (
            name TEXT PRIMARY KEY,
            value TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        CREATE TABLE web_sessions (
            visitor_id TEXT PRIMARY KEY,
            address TEXT NOT NULL,
            user_agent TEXT NOT NULL,
            mode TEXT NOT NULL,
            created_at TEXT NOT NULL,
            renewed_at TEXT NOT NULL
        );
        CREATE INDEX web_sessions_address ON web_sessions(address, created_at);
        CREATE TABLE web_uploads (
            id TEXT PRIMARY KEY,
            visitor_id TEXT NOT NULL,
            message_id TEXT,
            mime_type TEXT NOT NULL,
            size INTEGER NOT NULL,
            width INTEGER NOT NULL,
            height INTEGER NOT NULL,
            sha256 TEXT NOT NULL,
            data BLOB NOT NULL,
            created_at TEXT NOT NULL
        );
        CREATE INDEX web_uploads_visitor ON web_uploads(visitor_id, created_at);
        CREATE UNIQUE INDEX web_uploads_message ON web_uploads(visitor_id, message_id)
            WHERE message_id IS NOT NULL;
        """
    )
