"""Migration 0060_wechat_answers_waiting: replies kept for a later passive answer (WeChat
accounts without the customer-service API), and how often a delivery was delivered."""

from __future__ import annotations

from bot.store.database import Database

ID = "0060_wechat_answers_waiting"


def apply(db: Database) -> None:
    """The held_replies table, and a count of each delivery's arrivals."""
    db.executescript(
        """
        CREATE TABLE held_replies (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            platform TEXT NOT NULL,
            chat_id TEXT NOT NULL,
            user_id TEXT NOT NULL DEFAULT '',
            source TEXT NOT NULL DEFAULT '',
            reason TEXT NOT NULL,
            reply TEXT NOT NULL,
            dedupe_key TEXT UNIQUE,
            created_at TEXT NOT NULL,
            given_for TEXT,
            given_at TEXT
        );
        CREATE INDEX held_replies_waiting ON held_replies(platform, chat_id, id)
            WHERE given_for IS NULL;
        CREATE INDEX held_replies_source ON held_replies(platform, source);
        ALTER TABLE deliveries ADD COLUMN attempts INTEGER NOT NULL DEFAULT 1;
        """
    )
