"""Migration 0041_canned_replies: the replies agents insert with one click in the inbox."""

from __future__ import annotations

from bot.store.database import Database

ID = "0041_canned_replies"


def apply(db: Database) -> None:
    """Canned replies: a short title and the text, kept by staff."""
    db.executescript(
        """
        CREATE TABLE canned_replies (
            id INTEGER PRIMARY KEY,
            title TEXT NOT NULL UNIQUE,
            text TEXT NOT NULL,
            updated_by TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        """
    )
