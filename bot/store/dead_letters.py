"""Dead letters: authentic platform requests we could not parse, kept whole."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from bot.core.clock import iso
from bot.store.database import Database


class DeadLetters:
    """Keeps raw bodies that failed to parse, so no authentic data is lost."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def add(
        self, platform: str, reason: str, headers: Mapping[str, str], body: bytes, now: datetime
    ) -> int:
        """Keep one raw request; returns its id."""
        cursor = self.db.execute(
            "INSERT INTO dead_letters (platform, reason, headers, body, received_at)"
            " VALUES (?, ?, ?, ?, ?)",
            # The reason may quote the bad input: keep it storable whatever it holds.
            [platform, reason[:500].encode("utf-8", "replace").decode("utf-8"),
             json.dumps(dict(headers)), body, iso(now)],
        )
        return int(cursor.lastrowid or 0)

    def recent(self, limit: int = 20) -> list[dict[str, Any]]:
        """The latest dead letters, newest first."""
        return list(
            self.db.query("SELECT * FROM dead_letters ORDER BY id DESC LIMIT ?", [limit])
        )

    def delete_before(self, cutoff: datetime, batch: int = 2000) -> int:
        """Forget up to `batch` dead letters received before `cutoff`; how many went."""
        cursor = self.db.execute(
            "DELETE FROM dead_letters WHERE id IN (SELECT id FROM dead_letters"
            " WHERE received_at < ? ORDER BY received_at LIMIT ?)",
            [iso(cutoff), batch],
        )
        return cursor.rowcount

    def count(self) -> int:
        """How many dead letters are kept."""
        return int(self.db.scalar("SELECT count(*) FROM dead_letters"))
