"""Outbox rows: every outbound platform call is stored before it is sent."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.core.adapter import OutboundRequest
from bot.core.clock import iso, parse_iso
from bot.store.database import Database


@dataclass(frozen=True, slots=True)
class OutboxRow:
    """One stored outbound call and how far it got."""

    id: int
    request: OutboundRequest
    status: str
    attempts: int
    last_error: str
    platform_message_id: str | None
    delivery_state: str | None
    created_at: datetime


def _row(data: dict[str, Any]) -> OutboxRow:
    return OutboxRow(
        id=data["id"],
        request=OutboundRequest(
            platform=data["platform"],
            chat_id=data["chat_id"],
            path=data["path"],
            body=json.loads(data["body"]),
            method=data["method"],
            user_id=data["user_id"],
            is_group=bool(data["is_group"]),
        ),
        status=data["status"],
        attempts=data["attempts"],
        last_error=data["last_error"],
        platform_message_id=data["platform_message_id"],
        delivery_state=data["delivery_state"],
        created_at=parse_iso(data["created_at"]),
    )


class OutboxRows:
    """The durable queue behind bot/outbox.py."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def enqueue(
        self, request: OutboundRequest, now: datetime, *, dedupe_key: str | None = None,
        not_before: datetime | None = None,
    ) -> int | None:
        """Store a call to send; None if one with the same dedupe key is already stored."""
        cursor = self.db.execute(
            "INSERT OR IGNORE INTO outbox (platform, chat_id, user_id, is_group, method, path,"
            " body, dedupe_key, next_attempt_at, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [request.platform, request.chat_id, request.user_id, int(request.is_group),
             request.method, request.path, json.dumps(request.body, ensure_ascii=False),
             dedupe_key, iso(not_before or now), iso(now), iso(now)],
        )
        return int(cursor.lastrowid) if cursor.rowcount == 1 and cursor.lastrowid else None

    def claim_due(self, now: datetime, limit: int, lease: timedelta) -> list[OutboxRow]:
        """Lease due rows to this sender; rows whose lease lapsed (a dead sender) count as due."""
        with self.db.transaction():
            rows = self.db.query(
                "UPDATE outbox SET status = 'sending', lease_until = ?, attempts = attempts + 1,"
                " updated_at = ? WHERE id IN (SELECT id FROM outbox WHERE"
                " (status = 'pending' AND next_attempt_at <= ?)"
                " OR (status = 'sending' AND lease_until < ?) ORDER BY id LIMIT ?) RETURNING *",
                [iso(now + lease), iso(now), iso(now), iso(now), limit],
            )
            claimed = [_row(row) for row in rows]
        return sorted(claimed, key=lambda row: row.id)

    def mark_sent(
        self, row_id: int, now: datetime, platform_message_id: str | None, note: str = ""
    ) -> None:
        """The platform accepted the call; `note` says how, if not as stored (a template)."""
        self.db.execute(
            "UPDATE outbox SET status = 'sent', lease_until = NULL, platform_message_id = ?,"
            " last_error = ?, updated_at = ? WHERE id = ?",
            [platform_message_id, note[:500], iso(now), row_id],
        )

    def reschedule(self, row_id: int, now: datetime, at: datetime, error: str) -> None:
        """Try again at `at`."""
        self.db.execute(
            "UPDATE outbox SET status = 'pending', lease_until = NULL, next_attempt_at = ?,"
            " last_error = ?, updated_at = ? WHERE id = ?",
            [iso(at), error[:500], iso(now), row_id],
        )

    def defer(self, row_id: int, now: datetime, at: datetime) -> None:
        """Put a leased row back without counting an attempt (a rate limit said wait)."""
        self.db.execute(
            "UPDATE outbox SET status = 'pending', lease_until = NULL, next_attempt_at = ?,"
            " attempts = max(attempts - 1, 0), updated_at = ? WHERE id = ?",
            [iso(at), iso(now), row_id],
        )

    def mark_final(self, row_id: int, status: str, error: str, now: datetime) -> None:
        """Give up on a row: 'failed' (refused) or 'undeliverable' (customer unreachable)."""
        self.db.execute(
            "UPDATE outbox SET status = ?, lease_until = NULL, last_error = ?, updated_at = ?"
            " WHERE id = ?",
            [status, error[:500], iso(now), row_id],
        )

    def set_delivery_state(
        self, platform: str, platform_message_id: str, state: str, error: str, now: datetime,
        *, unless: tuple[str, ...] = (),
    ) -> bool:
        """Record what the platform later reported (delivered, read, failed).

        Reports can arrive out of order: a row already in one of the `unless` states keeps it.
        """
        marks = ", ".join("?" for _ in unless)
        keep = f" AND coalesce(delivery_state, '') NOT IN ({marks})" if unless else ""
        cursor = self.db.execute(
            "UPDATE outbox SET delivery_state = ?, last_error = CASE WHEN ? = '' THEN last_error"
            " ELSE ? END, updated_at = ? WHERE platform = ? AND platform_message_id = ?" + keep,
            [state, error, error[:500], iso(now), platform, platform_message_id, *unless],
        )
        return cursor.rowcount > 0

    def next_due_at(self) -> datetime | None:
        """When the earliest pending row is due."""
        value = self.db.scalar(
            "SELECT min(next_attempt_at) FROM outbox WHERE status = 'pending'"
        )
        return parse_iso(value) if value else None

    def get(self, row_id: int) -> OutboxRow | None:
        """One row by id."""
        data = self.db.one("SELECT * FROM outbox WHERE id = ?", [row_id])
        return _row(data) if data else None

    def list(self, statuses: tuple[str, ...] = (), limit: int = 50) -> list[OutboxRow]:
        """Rows (optionally of some statuses), newest first."""
        if statuses:
            marks = ", ".join("?" for _ in statuses)
            rows = self.db.query(
                f"SELECT * FROM outbox WHERE status IN ({marks}) ORDER BY id DESC LIMIT ?",
                [*statuses, limit],
            )
        else:
            rows = self.db.query("SELECT * FROM outbox ORDER BY id DESC LIMIT ?", [limit])
        return [_row(row) for row in rows]

    def counts(self) -> dict[str, int]:
        """How many rows are in each status."""
        return {
            row["status"]: row["n"]
            for row in self.db.query("SELECT status, count(*) AS n FROM outbox GROUP BY status")
        }
