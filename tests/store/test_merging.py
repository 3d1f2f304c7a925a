"""Every table with a customer's rows is either moved on linking or deliberately left."""

from __future__ import annotations

from collections.abc import Callable

from bot.store import Store
from bot.store.merging import DROPPED, FOLLOWING

# Rows that follow through loyalty_merges (the ledger is append-only) or name a code's user.
BY_LOYALTY = {"ledger", "checkins", "referral_codes", "reward_codes", "link_codes"}


def test_every_customer_table_is_moved_or_deliberately_left(
    new_store: Callable[..., Store]
) -> None:
    store = new_store("brandbot.db")
    try:
        with_customers = {
            table for table in store.db.table_names()
            if "customer_id" in store.db.column_names(table)
        }
    finally:
        store.close()
    handled = {table for table, _ in FOLLOWING} | set(DROPPED) | BY_LOYALTY
    assert with_customers - handled == set(), "a new table with customer_id: add it to merging"
    assert handled - with_customers == set()
