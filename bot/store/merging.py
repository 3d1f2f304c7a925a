"""What follows a customer into the account they are linked to: every row that is theirs."""

from __future__ import annotations

from bot.store.database import Database

# Tables with one customer's rows, and whether a row may clash with one the survivor has
# (a key with customer_id in it): then the survivor's own row is kept. The ledger, check-ins
# and referral codes are not moved: they follow through loyalty_merges (see Ledger.merge).
FOLLOWING: tuple[tuple[str, bool], ...] = (
    ("identities", False),
    ("conversation_log", False),
    ("customer_phones", True),
    ("order_access", True),
    ("orders", False),
    ("order_lookup_failures", False),
    ("order_lookup_pauses", True),
    ("order_pending_lookups", True),
    ("handoffs", False),
    ("kb_feedback", True),
    ("leaderboard_optouts", True),
    ("broadcast_optins", True),
)
# Rows that belong to one conversation, not to the customer: the absorbed side's just ends.
DROPPED = ("conversation_state",)


def move_customer(db: Database, survivor: str, absorbed: str) -> None:
    """Give every row of `absorbed` to `survivor` (within the caller's transaction)."""
    for table, may_clash in FOLLOWING:
        verb = "UPDATE OR IGNORE" if may_clash else "UPDATE"
        db.execute(f"{verb} {table} SET customer_id = ? WHERE customer_id = ?",
                   [survivor, absorbed])
        if may_clash:
            # What is left clashed with the survivor's own row, which says the same.
            db.execute(f"DELETE FROM {table} WHERE customer_id = ?", [absorbed])
    for table in DROPPED:
        db.execute(f"DELETE FROM {table} WHERE customer_id = ?", [absorbed])
