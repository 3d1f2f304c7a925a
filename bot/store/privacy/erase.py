"""Erasing a person: their personal data goes, in one transaction; what stays carries only the
random customer id (the points ledger, so that every sum still adds up, and other people's
records such as who referred whom), and the audit trail records the erasure.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime
from typing import Any

from bot.core.clock import iso
from bot.store.database import Database
from bot.store.privacy.export import MIN_SEARCHED_ID, audit_clause, kv_clause
from bot.store.privacy.person import Person, customer_tables, naming
from bot.store.rewards.ledger import Ledger

DELETE, KEEP, REDACT = "delete", "keep", "redact"
ERASED = "[erased]"
WRITE_OFF = "erased"  # the ledger reason of the row that closes an erased account

# What erasing does to each table with a customer column. A table missing here is deleted
# from (tests/store/test_privacy.py insists every table is named, so the choice is made).
POLICY: dict[str, str] = {
    "identities": DELETE,
    "conversation_log": DELETE,
    "conversation_state": DELETE,
    "customer_phones": DELETE,
    "order_access": DELETE,
    "order_lookup_failures": DELETE,
    "order_lookup_pauses": DELETE,
    "order_pending_lookups": DELETE,
    "checkins": DELETE,
    "referral_codes": DELETE,
    "link_codes": DELETE,
    "leaderboard_optouts": DELETE,
    "broadcast_optins": DELETE,
    "kb_feedback": DELETE,
    # Append-only: the rows stay under the bare id and one row writes the balance off.
    "ledger": KEEP,
    "loyalty_merges": KEEP,  # which ledger rows make one account
    "referrals": KEEP,  # the other person's referral (and its points) rests on it
    "reward_codes": KEEP,  # which coupon went out for which ledger row
    "handoffs": REDACT,  # staff statistics and ratings stay; where the chat was goes
    "orders": REDACT,  # the shop's order stays; the buyer's contact details go
}
REDACTED_COLUMNS: dict[str, dict[str, str]] = {
    "handoffs": {"user_id": "", "chat_id": ""},
    "orders": {"phone": "", "phone_tail": "", "email": "", "province": "", "city": "",
               "address": "", "customer_id": ""},
}


def erase_person(
    db: Database, ledger: Ledger, person: Person, who: str, now: datetime
) -> dict[str, int]:
    """Remove the person's personal data; the rows touched per table."""
    touched: Counter[str] = Counter()
    with db.transaction():
        asked = [str(row["text"]) for row in db.query(
            f"SELECT DISTINCT text FROM conversation_log WHERE customer_id IN ({person.marks()})"
            " AND direction = 'in' AND text != ''",
            list(person.members),
        )]
        _by_identity(db, person, touched)
        _audit(db, person, touched)
        clause, params = kv_clause(person)
        touched["kv"] += db.execute(f"DELETE FROM kv WHERE {clause}", params).rowcount
        touched["kb_review"] += _review_examples(db, set(asked))
        _relays(db, person, set(asked), touched)
        _orders_by_phone(db, person, touched)
        for table, columns in customer_tables(db).items():
            _apply(db, table, columns, person, touched)
        touched["customers"] += db.execute(
            f"UPDATE customers SET display_name = '' WHERE id IN ({person.marks()})",
            list(person.members),
        ).rowcount
        balance = ledger.balance(person.root, now)
        if balance > 0:
            ledger.deduct(person.root, balance, WRITE_OFF, "", f"erase:{person.root}", now)
            touched["ledger"] += 1
        counts = {table: count for table, count in sorted(touched.items()) if count}
        db.execute(
            "INSERT INTO staff_audit (staff, role, action, target, before, after, created_at)"
            " VALUES (?, 'operator', 'customer.erase', ?, NULL, ?, ?)",
            [who, person.root,
             json.dumps({"rows": counts, "points_written_off": max(balance, 0)}, sort_keys=True),
             iso(now)],
        )
    return counts


def _apply(
    db: Database, table: str, columns: tuple[str, ...], person: Person, touched: Counter[str]
) -> None:
    policy = POLICY.get(table, DELETE)
    clause, params = naming(person, columns)
    if policy == DELETE:
        touched[table] += db.execute(f'DELETE FROM "{table}" WHERE {clause}', params).rowcount
    elif policy == REDACT:
        values = REDACTED_COLUMNS[table]
        assignments = ", ".join(f'"{column}" = ?' for column in values)
        touched[table] += db.execute(
            f'UPDATE "{table}" SET {assignments} WHERE {clause}', [*values.values(), *params]
        ).rowcount


def _by_identity(db: Database, person: Person, touched: Counter[str]) -> None:
    """Rows keyed by the person's platform ids: deliveries, sends, web sessions and photos."""
    for identity in person.identities:
        platform, user_id = identity.platform, identity.user_id
        match = "platform = ? AND json_extract(message, '$.user_id') = ?"
        # A handled delivery keeps its key (a platform's late retry is still not handled
        # twice) but not the message; an unhandled one would bring the person back.
        touched["deliveries"] += db.execute(
            f"UPDATE deliveries SET message = '{{}}', replies = '[]' WHERE {match}"
            " AND status = 'handled'",
            [platform, user_id],
        ).rowcount
        touched["deliveries"] += db.execute(
            f"DELETE FROM deliveries WHERE {match}", [platform, user_id]
        ).rowcount
        touched["outbox"] += db.execute(
            "DELETE FROM outbox WHERE platform = ? AND (user_id = ? OR chat_id = ?)",
            [platform, user_id, user_id],
        ).rowcount
        if platform == "web":
            for table in ("web_sessions", "web_uploads"):
                touched[table] += db.execute(
                    f"DELETE FROM {table} WHERE visitor_id = ?", [user_id]
                ).rowcount
        if len(user_id) >= MIN_SEARCHED_ID:
            touched["dead_letters"] += db.execute(
                "DELETE FROM dead_letters WHERE platform = ? AND instr(body, ?) > 0",
                [platform, user_id.encode("utf-8")],
            ).rowcount


def _orders_by_phone(db: Database, person: Person, touched: Counter[str]) -> None:
    """Orders placed with the person's phone but not linked to their customer id."""
    if not person.phones:
        return
    values = REDACTED_COLUMNS["orders"]
    assignments = ", ".join(f'"{column}" = ?' for column in values)
    marks = ", ".join("?" for _ in person.phones)
    touched["orders"] += db.execute(
        f"UPDATE orders SET {assignments} WHERE phone IN ({marks})",
        [*values.values(), *person.phones],
    ).rowcount


def _scrub(value: Any, terms: list[str]) -> Any:
    """`value` (parsed JSON) with every term inside its strings replaced."""
    if isinstance(value, str):
        for term in terms:
            value = value.replace(term, ERASED)
        return value
    if isinstance(value, list):
        return [_scrub(item, terms) for item in value]
    if isinstance(value, dict):
        return {key: _scrub(item, terms) for key, item in value.items()}
    return value


def _audit(db: Database, person: Person, touched: Counter[str]) -> None:
    """Audit rows stay (the trail is whole) but stop naming the person.

    The bare customer ids stay too: they tie an audit row to its ledger row.
    """
    identities = [f"{identity.platform}:{identity.user_id}" for identity in person.identities]
    terms = sorted(
        {*identities, *person.phones, *person.names,
         *(user_id for user_id in person.user_ids() if len(user_id) >= MIN_SEARCHED_ID)},
        key=len, reverse=True,
    )
    clause, params = audit_clause(person)
    for row in list(db.query(f"SELECT * FROM staff_audit WHERE {clause}", params)):
        target = _scrub(row["target"], terms)
        before = _scrub(_parsed(row["before"]), terms)
        after = _scrub(_parsed(row["after"]), terms)
        if (target, before, after) == (row["target"], _parsed(row["before"]),
                                       _parsed(row["after"])):
            continue
        db.execute(
            "UPDATE staff_audit SET target = ?, before = ?, after = ? WHERE id = ?",
            [target, _json(before), _json(after), row["id"]],
        )
        touched["staff_audit"] += 1


def _parsed(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)


def _relays(db: Database, person: Person, asked: set[str], touched: Counter[str]) -> None:
    """What staff were relayed of the person's words (a handoff) is logged under the staff
    member and queued to the staff chat: those lines and sends lose the words and names."""
    terms = sorted({*(text for text in asked if len(text) >= MIN_QUOTED),
                    *(name for name in person.names if len(name) >= 2)}, key=len, reverse=True)
    if not terms:
        return
    for row in list(db.query(
        "SELECT id, text FROM conversation_log WHERE route = 'relay'"
        f" AND customer_id NOT IN ({person.marks()})",
        list(person.members),
    )):
        text = _scrub(row["text"], terms)
        if text != row["text"]:
            db.execute("UPDATE conversation_log SET text = ? WHERE id = ?", [text, row["id"]])
            touched["conversation_log"] += 1
    quoted = [text for text in terms if text in asked]
    for row in list(db.query("SELECT id, body FROM outbox")):
        if any(text in row["body"] for text in quoted):
            db.execute("DELETE FROM outbox WHERE id = ?", [row["id"]])
            touched["outbox"] += 1


# Shorter questions ("ok", "1") are too common to hunt for in other people's lines.
MIN_QUOTED = 4


def _review_examples(db: Database, asked: set[str]) -> int:
    """Take the person's own questions out of the review queue's examples."""
    if not asked:
        return 0
    changed = 0
    for row in list(db.query("SELECT id, examples FROM kb_review")):
        examples = json.loads(row["examples"])
        kept = [example for example in examples if example not in asked]
        if kept != examples:
            db.execute("UPDATE kb_review SET examples = ? WHERE id = ?",
                       [json.dumps(kept, ensure_ascii=False), row["id"]])
            changed += 1
    return changed
