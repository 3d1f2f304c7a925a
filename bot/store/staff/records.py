"""Staff records: the audit log of every change staff make, and pending confirmations."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.core.clock import iso, parse_iso
from bot.store.database import Database

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread



@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One change a staff member made."""

    id: int
    staff: str
    role: str
    action: str
    target: str
    before: Any
    after: Any
    created_at: datetime


def audit_entry(row: dict[str, Any]) -> AuditEntry:
    """An audit row as read from its table (before/after decoded from JSON)."""
    return AuditEntry(
        id=row["id"], staff=row["staff"], role=row["role"], action=row["action"],
        target=row["target"],
        before=json.loads(row["before"]) if row["before"] is not None else None,
        after=json.loads(row["after"]) if row["after"] is not None else None,
        created_at=parse_iso(row["created_at"]),
    )


@dataclass(frozen=True, slots=True)
class Confirmation:
    """A change that waits for `/confirm <code>` from the staff member who asked for it."""

    code: str
    staff: str
    action: str
    arguments: dict[str, Any]
    summary: str


class StaffRecords:
    """Writes and reads the audit log and the confirmations waiting for a code."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def audit(
        self, *, staff: str, role: str, action: str, now: datetime, target: str = "",
        before: Any = None, after: Any = None,
    ) -> int:
        """Record one change; `before` and `after` are stored as JSON."""
        cursor = self.db.execute(
            "INSERT INTO staff_audit (staff, role, action, target, before, after, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            [staff, role, action, target, _json(before), _json(after), iso(now)],
        )
        return int(cursor.lastrowid or 0)

    def recent_audit(self, limit: int = 10) -> list[AuditEntry]:
        """The latest audit rows, newest first."""
        return [
            audit_entry(row)
            for row in self.db.query(
                "SELECT * FROM staff_audit ORDER BY id DESC LIMIT ?", [limit]
            )
        ]

    def request_confirmation(
        self, *, staff: str, action: str, arguments: dict[str, Any], summary: str,
        now: datetime, ttl: timedelta,
    ) -> str:
        """Store a change to confirm later; returns the code to type."""
        while True:
            code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(6))
            cursor = self.db.execute(
                "INSERT OR IGNORE INTO staff_confirmations (code, staff, action, arguments,"
                " summary, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [code, staff, action, json.dumps(arguments, ensure_ascii=False), summary,
                 iso(now), iso(now + ttl)],
            )
            if cursor.rowcount == 1:
                return code

    def use_confirmation(self, code: str, staff: str, now: datetime) -> Confirmation | None:
        """Take a confirmation once: only its own staff member, only before it expires."""
        with self.db.transaction():
            row = self.db.one(
                "SELECT * FROM staff_confirmations WHERE code = ? AND staff = ?"
                " AND used_at IS NULL AND expires_at > ?",
                [code.upper(), staff, iso(now)],
            )
            if row is None:
                return None
            self.db.execute(
                "UPDATE staff_confirmations SET used_at = ? WHERE code = ?",
                [iso(now), row["code"]],
            )
        return Confirmation(
            code=row["code"], staff=row["staff"], action=row["action"],
            arguments=json.loads(row["arguments"]), summary=row["summary"],
        )


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)
