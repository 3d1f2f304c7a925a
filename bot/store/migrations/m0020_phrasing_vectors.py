"""Migration 0020_phrasing_vectors: embedding vectors of KB texts, kept across restarts."""

from __future__ import annotations

from bot.store.database import Database

ID = "0020_phrasing_vectors"


def apply(db: Database) -> None:
    """One row per (model, text): the model's unit vector of that text as float32 bytes."""
    db.executescript(
        """
        CREATE TABLE kb_vectors (
            model TEXT NOT NULL,
            text TEXT NOT NULL,
            vector BLOB NOT NULL,
            created_at TEXT NOT NULL,
            PRIMARY KEY (model, text)
        ) WITHOUT ROWID;
        """
    )
