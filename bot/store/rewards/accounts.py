"""Accounts: a customer merged into another (identity linking) shares one points account.

The merged customer keeps its ledger rows; every query runs over the account: the surviving
customer plus everyone merged into it (`loyalty_merges`).
"""

from __future__ import annotations

from datetime import datetime

from bot.core.clock import iso
from bot.store.database import Database


class Accounts:
    """Which customers make up one points account."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def root(self, customer_id: str) -> str:
        """The customer that holds the account a (possibly merged) customer belongs to."""
        survivor = self.db.scalar(
            "SELECT survivor_id FROM loyalty_merges WHERE absorbed_id = ?", [customer_id]
        )
        return str(survivor) if survivor else customer_id

    def members(self, customer_id: str) -> list[str]:
        """Every customer id whose rows make up this customer's account."""
        root = self.root(customer_id)
        merged = self.db.query(
            "SELECT absorbed_id FROM loyalty_merges WHERE survivor_id = ? ORDER BY absorbed_id",
            [root],
        )
        return [root, *(str(row["absorbed_id"]) for row in merged)]

    def join(self, survivor: str, absorbed: str, now: datetime) -> None:
        """Record that the absorbed account (and all merged into it) now belongs to survivor."""
        # Those merged into the absorbed account join this one now (the replay of who could
        # spend which credits goes by these times).
        self.db.execute(
            "UPDATE loyalty_merges SET survivor_id = ?, merged_at = ? WHERE survivor_id = ?",
            [survivor, iso(now), absorbed],
        )
        self.db.execute(
            "INSERT INTO loyalty_merges (absorbed_id, survivor_id, merged_at) VALUES (?, ?, ?)",
            [absorbed, survivor, iso(now)],
        )
        self.db.execute(
            "INSERT OR IGNORE INTO leaderboard_optouts (customer_id, created_at)"
            " SELECT ?, created_at FROM leaderboard_optouts WHERE customer_id = ?",
            [survivor, absorbed],
        )
