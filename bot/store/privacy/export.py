"""A person's export: every stored row about them, across their linked identities, as JSON."""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Any

from bot.core.clock import iso
from bot.store.database import Database
from bot.store.privacy.person import Person, customer_tables, naming
from bot.store.rewards.ledger import Ledger

FORMAT = "brandbot-customer-export/1"


def plain(row: dict[str, Any]) -> dict[str, Any]:
    """A row as JSON: bytes in base64, JSON text (messages, slots, audit values) decoded."""
    out: dict[str, Any] = {}
    for key, value in row.items():
        if isinstance(value, bytes):
            out[key] = {"base64": base64.b64encode(value).decode("ascii")}
        elif isinstance(value, str) and value[:1] in "[{":
            try:
                out[key] = json.loads(value)
            except ValueError:
                out[key] = value
        else:
            out[key] = value
    return out


def _rows(db: Database, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    return [plain(row) for row in db.query(sql, params)]


def identity_rows(db: Database, person: Person) -> dict[str, list[dict[str, Any]]]:
    """Rows found by the person's platform identities rather than their customer id."""
    tables: dict[str, list[dict[str, Any]]] = {
        "deliveries": [], "outbox": [], "web_sessions": [], "web_uploads": [], "dead_letters": [],
    }
    for identity in person.identities:
        tables["deliveries"] += _rows(
            db, "SELECT * FROM deliveries WHERE platform = ?"
            " AND json_extract(message, '$.user_id') = ?",
            [identity.platform, identity.user_id],
        )
        tables["outbox"] += _rows(
            db, "SELECT * FROM outbox WHERE platform = ? AND (user_id = ? OR chat_id = ?)",
            [identity.platform, identity.user_id, identity.user_id],
        )
        if identity.platform == "web":
            for table in ("web_sessions", "web_uploads"):
                tables[table] += _rows(
                    db, f"SELECT * FROM {table} WHERE visitor_id = ?", [identity.user_id]
                )
        if len(identity.user_id) >= MIN_SEARCHED_ID:
            tables["dead_letters"] += _rows(
                # Not the headers: a webhook's carry the platform's secret token, not theirs.
                db, "SELECT id, platform, reason, body, received_at FROM dead_letters"
                " WHERE platform = ? AND instr(body, ?) > 0",
                [identity.platform, identity.user_id.encode("utf-8")],
            )
    return tables


# Shorter user ids are searched for in raw bodies only where the platform is known to match.
MIN_SEARCHED_ID = 6


def mentions(person: Person) -> list[str]:
    """Strings that name the person precisely in free text: ids, identities, phones.

    Display names are left out: "Li" or "王芳" would find other people's rows too.
    """
    found = [*person.members, *person.phones]
    found += [f"{identity.platform}:{identity.user_id}" for identity in person.identities]
    found += [identity.user_id for identity in person.identities
              if len(identity.user_id) >= MIN_SEARCHED_ID]
    return sorted({term for term in found if len(term) >= MIN_SEARCHED_ID}, key=len, reverse=True)


def audit_clause(person: Person) -> tuple[str, list[str]]:
    """Audit rows about the person: theirs as target, or naming them in before/after."""
    terms = mentions(person)
    clause = " OR ".join(
        "target = ? OR instr(coalesce(before, '') || coalesce(after, ''), ?) > 0" for _ in terms
    )
    return clause, [value for term in terms for value in (term, term)]


def kv_clause(person: Person) -> tuple[str, list[str]]:
    """Key-value rows of the person: keys holding a customer id or ending in a user id."""
    parts = ["instr(key, ?) > 0" for _ in person.members]
    parts += ["substr(key, -length(?) - 1) = ':' || ?" for _ in person.identities]
    ids = [value for user_id in person.user_ids() for value in (user_id, user_id)]
    return " OR ".join(parts), [*person.members, *ids]


def export_person(db: Database, ledger: Ledger, person: Person, now: datetime) -> dict[str, Any]:
    """Everything stored about the person: by customer id, by identity, and where named."""
    tables: dict[str, list[dict[str, Any]]] = {
        "customers": _rows(
            db, f"SELECT * FROM customers WHERE id IN ({person.marks()})", list(person.members)
        ),
    }
    for table, columns in customer_tables(db).items():
        clause, params = naming(person, columns)
        tables[table] = _rows(db, f'SELECT * FROM "{table}" WHERE {clause}', params)
    for table, rows in identity_rows(db, person).items():
        tables[table] = rows
    if person.phones:
        marks = ", ".join("?" for _ in person.phones)
        numbers = {row["number"] for row in tables.get("orders", [])}
        tables["orders"] = tables.get("orders", []) + [
            row for row in _rows(db, f"SELECT * FROM orders WHERE phone IN ({marks})",
                                 list(person.phones))
            if row["number"] not in numbers
        ]
    clause, params = audit_clause(person)
    tables["staff_audit"] = _rows(
        db, f"SELECT * FROM staff_audit WHERE {clause} ORDER BY id", params
    )
    clause, params = kv_clause(person)
    tables["kv"] = _rows(db, f"SELECT * FROM kv WHERE {clause}", params)
    return {
        "format": FORMAT,
        "exported_at": iso(now),
        "customer_id": person.root,
        "customer_ids": list(person.members),
        "identities": [f"{identity.platform}:{identity.user_id}"
                       for identity in person.identities],
        "points_balance": ledger.ledger_sum(person.root),
        "tables": {name: rows for name, rows in sorted(tables.items()) if rows},
    }
