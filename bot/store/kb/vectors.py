"""Embedding vectors of knowledge-base texts, so that a restart does not embed the KB again."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from bot.core.clock import iso
from bot.store.database import Database

# SQLite's default limit on the variables of one statement is 32766; stay well below.
BATCH = 500


class PhrasingVectors:
    """Vectors by (model, text) as raw bytes; the matching layer decides what they hold."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def get_many(self, model: str, texts: Iterable[str]) -> dict[str, bytes]:
        """The stored vectors of those texts that have one."""
        wanted = list(dict.fromkeys(texts))
        found: dict[str, bytes] = {}
        for start in range(0, len(wanted), BATCH):
            chunk = wanted[start:start + BATCH]
            marks = ", ".join("?" for _ in chunk)
            for row in self.db.query(
                f"SELECT text, vector FROM kb_vectors WHERE model = ? AND text IN ({marks})",
                [model, *chunk],
            ):
                found[row["text"]] = bytes(row["vector"])
        return found

    def have(self, model: str, texts: Iterable[str]) -> set[str]:
        """Which of the texts have a stored vector (without reading the vectors)."""
        wanted = list(dict.fromkeys(texts))
        found: set[str] = set()
        for start in range(0, len(wanted), BATCH):
            chunk = wanted[start:start + BATCH]
            marks = ", ".join("?" for _ in chunk)
            found.update(
                row["text"] for row in self.db.query(
                    f"SELECT text FROM kb_vectors WHERE model = ? AND text IN ({marks})",
                    [model, *chunk],
                )
            )
        return found

    def put_many(self, model: str, vectors: Mapping[str, bytes], now: datetime) -> int:
        """Store vectors (existing ones are kept as they are); returns how many were new."""
        added = 0
        with self.db.transaction():
            for text, vector in vectors.items():
                cursor = self.db.execute(
                    "INSERT OR IGNORE INTO kb_vectors (model, text, vector, created_at)"
                    " VALUES (?, ?, ?, ?)",
                    [model, text, vector, iso(now)],
                )
                added += cursor.rowcount
        return added

    def count(self, model: str | None = None) -> int:
        """How many vectors are stored (for one model)."""
        if model is None:
            return int(self.db.scalar("SELECT count(*) FROM kb_vectors"))
        return int(self.db.scalar("SELECT count(*) FROM kb_vectors WHERE model = ?", [model]))

    def forget_other_models(self, model: str) -> int:
        """Drop the vectors of every other model (they never match this one's)."""
        cursor = self.db.execute("DELETE FROM kb_vectors WHERE model != ?", [model])
        return cursor.rowcount
