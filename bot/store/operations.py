"""What operators watch, read from the store: queue depths, waiting work, readiness probes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.core.clock import iso, parse_iso
from bot.store.database import Database
from bot.store.kv import KeyValues
from bot.store.migrations import MIGRATIONS

# Outbox statuses still worth watching ("sent" grows forever and is left out of the counts).
OPEN_STATUSES = ("pending", "sending", "failed", "undeliverable")
PROBE_KEY = "health:write-probe"


@dataclass(frozen=True, slots=True)
class Depth:
    """How many outbox rows of one platform are in one status."""

    platform: str
    status: str
    count: int


class Operations:
    """Cheap aggregate reads for /metrics and /readyz (indexed, or over small tables)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def outbox_depth(self) -> list[Depth]:
        """Rows per platform and status, for every status but "sent"."""
        marks = ", ".join("?" for _ in OPEN_STATUSES)
        return [
            Depth(row["platform"], row["status"], int(row["n"]))
            for row in self.db.query(
                f"SELECT platform, status, count(*) AS n FROM outbox WHERE status IN ({marks})"
                " GROUP BY platform, status",
                list(OPEN_STATUSES),
            )
        ]

    def oldest_waiting(self) -> dict[str, datetime]:
        """Per platform, when its oldest row still waiting to be sent was stored."""
        return {
            row["platform"]: parse_iso(row["oldest"])
            for row in self.db.query(
                "SELECT platform, min(created_at) AS oldest FROM outbox"
                " WHERE status IN ('pending', 'sending') GROUP BY platform"
            )
        }

    def dead_letters(self) -> dict[str, int]:
        """Dead letters kept, per platform."""
        return {
            row["platform"]: int(row["n"])
            for row in self.db.query(
                "SELECT platform, count(*) AS n FROM dead_letters GROUP BY platform"
            )
        }

    def handoffs(self) -> dict[str, int]:
        """Open handoffs: "queued" (waiting for a person) and "claimed" (a person has it)."""
        counts = {"queued": 0, "claimed": 0}
        for row in self.db.query(
            "SELECT status, count(*) AS n FROM handoffs WHERE status IN ('queued', 'claimed')"
            " GROUP BY status"
        ):
            counts[row["status"]] = int(row["n"])
        return counts

    def probe_write(self, now: datetime) -> None:
        """Write one row and commit it: raises if the store cannot take writes right now."""
        with self.db.transaction():
            KeyValues(self.db).set(PROBE_KEY, iso(now), now)

    def missing_migrations(self) -> list[str]:
        """Migrations this version needs that the store has not recorded."""
        applied = {row["id"] for row in self.db.query("SELECT id FROM schema_migrations")}
        return [migration.id for migration in MIGRATIONS if migration.id not in applied]
