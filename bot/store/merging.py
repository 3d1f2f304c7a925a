"""What follows a customer into the account they are linked to: every row that is theirs."""

from __future__ import annotations

from bot.store.database import Database

# Tables with one customer's rows, and when a row clashes with one the survivor has (the rest
# of a key with customer_id in it, as a condition on the survivor's row `s` and the moving
# row `t`): then the survivor's own row is kept. None: no row can clash. The ledger,
# check-ins and referral codes are not moved: they follow through loyalty_merges (see
# Ledger.merge).
FOLLOWING: tuple[tuple[str, str | None], ...] = (
    ("identities", None),
    ("conversation_log", None),
    ("customer_phones", "s.phone = t.phone"),
    ("order_access", "s.order_number = t.order_number"),
    ("orders", None),
    ("order_lookup_failures", None),
    ("order_lookup_pauses", "1 = 1"),
    ("order_pending_lookups",
     "s.order_number = t.order_number AND s.status = 'pending' AND t.status = 'pending'"),
    ("handoffs", None),
    ("kb_feedback", "s.faq_id = t.faq_id"),
    ("leaderboard_optouts", "1 = 1"),
    ("broadcast_optins", "1 = 1"),
)
# Rows that belong to one conversation, not to the customer: the absorbed side's just ends.
DROPPED = ("conversation_state",)


def move_customer(db: Database, survivor: str, absorbed: str) -> None:
    """Give every row of `absorbed` to `survivor` (within the caller's transaction)."""
    for table, clash in FOLLOWING:
        if clash is None:
            db.execute(f"UPDATE {table} SET customer_id = ? WHERE customer_id = ?",
                       [survivor, absorbed])
            continue
        # Written out rather than SQLite's UPDATE OR IGNORE, so both backends read it.
        db.execute(
            f"UPDATE {table} AS t SET customer_id = ? WHERE t.customer_id = ? AND NOT EXISTS"
            f" (SELECT 1 FROM {table} s WHERE s.customer_id = ? AND {clash})",
            [survivor, absorbed, survivor],
        )
        # What is left clashed with the survivor's own row, which says the same.
        db.execute(f"DELETE FROM {table} WHERE customer_id = ?", [absorbed])
    for table in DROPPED:
        db.execute(f"DELETE FROM {table} WHERE customer_id = ?", [absorbed])
