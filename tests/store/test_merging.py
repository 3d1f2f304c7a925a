"""Every table with a customer's rows is either moved on linking or deliberately left."""

from __future__ import annotations

from pathlib import Path

from bot.store import open_store
from bot.store.merging import DROPPED, FOLLOWING

# Rows that follow through loyalty_merges (the ledger is append-only) or name a code's user.
BY_LOYALTY = {"ledger", "checkins", "referral_codes", "reward_codes", "link_codes"}


def test_every_customer_table_is_moved_or_deliberately_left(tmp_path: Path) -> None:
    store = open_store(tmp_path / "brandbot.db")
    try:
        tables = [row["name"] for row in store.db.query(
            "SELECT name FROM sqlite_master WHERE type = 'table'"
        )]
        with_customers = {
            table for table in tables
            if any(column["name"] == "customer_id"
                   for column in store.db.query(f"PRAGMA table_info('{table}')"))
        }
    finally:
        store.close()
    handled = {table for table, _ in FOLLOWING} | set(DROPPED) | BY_LOYALTY
    assert with_customers - handled == set(), "a new table with customer_id: add it to merging"
    assert handled - with_customers == set()
