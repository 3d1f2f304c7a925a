"""The audit log as staff search it on the console: by who, what, which target and when."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.core.clock import iso
from bot.store.database import Database
from bot.store.staff.records import AuditEntry, audit_entry


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """What to look for; empty fields match everything."""

    staff: str = ""
    action: str = ""  # an action, or a family such as "kb." (a prefix)
    target: str = ""
    since: datetime | None = None
    until: datetime | None = None


class AuditLog:
    """Reads audit rows; nothing here writes (StaffRecords.audit does)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def search(self, where: AuditFilter, limit: int = 100, before_id: int = 0) -> list[AuditEntry]:
        """Matching rows, newest first, optionally older than a row id (paging)."""
        clauses: list[str] = ["1 = 1"]
        params: list[object] = []
        if where.staff:
            clauses.append("staff = ?")
            params.append(where.staff)
        if where.action:
            if where.action.endswith("."):
                clauses.append("substr(action, 1, ?) = ?")
                params += [len(where.action), where.action]
            else:
                clauses.append("action = ?")
                params.append(where.action)
        if where.target:
            clauses.append("instr(target, ?) > 0")
            params.append(where.target)
        if where.since is not None:
            clauses.append("created_at >= ?")
            params.append(iso(where.since))
        if where.until is not None:
            clauses.append("created_at < ?")
            params.append(iso(where.until))
        if before_id:
            clauses.append("id < ?")
            params.append(before_id)
        rows = self.db.query(
            "SELECT * FROM staff_audit WHERE " + " AND ".join(clauses)
            + " ORDER BY id DESC LIMIT ?",
            [*params, limit],
        )
        return [
            audit_entry(row)
            for row in rows
        ]

    def choices(self) -> tuple[list[str], list[str]]:
        """The staff members and the actions that appear in the log (for the filter lists)."""
        staff = [row["staff"] for row in self.db.query(
            "SELECT DISTINCT staff FROM staff_audit ORDER BY staff")]
        actions = [row["action"] for row in self.db.query(
            "SELECT DISTINCT action FROM staff_audit ORDER BY action")]
        return staff, actions
