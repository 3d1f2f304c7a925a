"""Outbox rows: every outbound platform call is stored before it is sent."""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.core.adapter import OutboundRequest
from bot.core.clock import iso, parse_iso
from bot.core.tracing import current_request_id
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
    retry_since: datetime  # its retries' horizon counts from here (creation, or a re-drive)
    updated_at: datetime | None = None
    request_id: str = ""  # the request it was queued for (its log lines carry it)


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
        retry_since=parse_iso(data.get("retry_since") or data["created_at"]),
        updated_at=parse_iso(data["updated_at"]) if data.get("updated_at") else None,
        request_id=data.get("request_id") or "",
    )


# The oldest unfinished rows a claim looks through for heads before it looks chat by chat.
SCAN = 256
LAST_ID = 2**63 - 1


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
            " body, dedupe_key, next_attempt_at, created_at, updated_at, request_id)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [request.platform, request.chat_id, request.user_id, int(request.is_group),
             request.method, request.path, json.dumps(request.body, ensure_ascii=False),
             dedupe_key, iso(not_before or now), iso(now), iso(now), current_request_id()],
        )
        return int(cursor.lastrowid) if cursor.rowcount == 1 and cursor.lastrowid else None

    def claim_due(
        self, now: datetime, limit: int, lease: timedelta, platform: str | None = None,
        exclude: Collection[int] = (),
    ) -> list[OutboxRow]:
        """Lease due rows to this sender, each the oldest unfinished row of its chat.

        A chat's later row waits while an earlier one is pending (backing off) or being sent,
        so every chat's messages arrive in order, whoever sends them; rows whose lease lapsed
        (a dead sender) count as due.
        """
        # First the queue's oldest rows, where the heads of most chats are. With a platform,
        # that look stops after SCAN rows: behind them may be nothing but the later rows of a
        # few chats whose heads are on the wire (a deep backlog waiting on a rate limit), and
        # walking them all cost time in proportion to the queue on every claim.
        window = SCAN if platform is not None else None
        claimed = self._claim(now, limit, lease, platform, exclude, window=window)
        if platform is not None and len(claimed) < limit and self._longer_than(platform, SCAN):
            heads = self._due_heads(now, platform, limit, exclude)
            if heads:
                claimed += self._claim(
                    now, limit - len(claimed), lease, platform, exclude, among=heads
                )
        return sorted(claimed, key=lambda row: row.id)

    def _claim(
        self, now: datetime, limit: int, lease: timedelta, platform: str | None,
        exclude: Collection[int], *, window: int | None = None,
        among: Collection[int] = (),
    ) -> list[OutboxRow]:
        """One atomic claim of due heads: among the oldest `window` unfinished rows, or
        among the rows `among` (each checked again here: another sender may have won it)."""
        only = "AND o.platform = ?" if platform is not None else ""
        # Rows this sender has on the wire stay its own, even if their lease ran out.
        if exclude:
            only += f" AND o.id NOT IN ({', '.join('?' for _ in exclude)})"
        if among:
            only += f" AND o.id IN ({', '.join('?' for _ in among)})"
        window_parameters: list[Any] = []
        if window is not None:
            # The scan ends at the window's last row (its id found by a short index walk).
            only += (
                " AND o.id <= coalesce((SELECT w.id FROM outbox w INDEXED BY outbox_unfinished"
                " WHERE w.platform = ? AND w.status IN ('pending', 'sending') ORDER BY w.id"
                f" LIMIT 1 OFFSET ?), {LAST_ID})"
            )
            window_parameters = [platform, window - 1]
        # One statement, atomic on its own. On a shared store (PostgreSQL) `skip_locked`
        # makes instances claiming at once pass over each other's rows instead of waiting;
        # a chat's next row still waits while an earlier one is unfinished, whoever has it.
        rows = self.db.query(
            "UPDATE outbox SET status = 'sending', lease_until = ?, attempts = attempts + 1,"
            " updated_at = ? WHERE id IN (SELECT o.id FROM outbox o"
            # `status IN (…)` picks the partial index of unfinished rows in id order (0081),
            # so the scan starts at the queue's oldest row.
            " INDEXED BY outbox_unfinished WHERE o.status IN ('pending', 'sending')"
            " AND ((o.status = 'pending' AND o.next_attempt_at <= ?)"
            " OR (o.status = 'sending' AND o.lease_until < ?)) " + only +
            " AND NOT EXISTS (SELECT 1 FROM outbox e WHERE e.platform = o.platform"
            " AND e.chat_id = o.chat_id AND e.status IN ('pending', 'sending')"
            " AND e.id < o.id) ORDER BY o.platform, o.id LIMIT ?" + self.db.skip_locked
            + ") RETURNING *",
            [iso(now + lease), iso(now), iso(now), iso(now),
             *([platform] if platform is not None else []), *exclude, *among,
             *window_parameters, limit],
        )
        return [_row(row) for row in rows]

    def _longer_than(self, platform: str, count: int) -> bool:
        """Whether more than `count` rows of the platform are unfinished (a short index walk)."""
        return self.db.scalar(
            "SELECT id FROM outbox INDEXED BY outbox_unfinished WHERE platform = ?"
            " AND status IN ('pending', 'sending') ORDER BY id LIMIT 1 OFFSET ?",
            [platform, count],
        ) is not None

    def _due_heads(
        self, now: datetime, platform: str, limit: int, exclude: Collection[int]
    ) -> list[int]:
        """Ids of the oldest due heads, found chat by chat: one index seek per chat with
        unfinished rows (a loose scan of the chat-queue index, 0012), not one per row."""
        leave = f" AND h.id NOT IN ({', '.join('?' for _ in exclude)})" if exclude else ""
        rows = self.db.query(
            "WITH RECURSIVE chats(chat_id) AS ("
            " SELECT (SELECT min(chat_id) FROM outbox INDEXED BY outbox_chat_queue"
            " WHERE platform = ? AND status IN ('pending', 'sending'))"
            " UNION ALL SELECT (SELECT min(q.chat_id) FROM outbox q"
            " INDEXED BY outbox_chat_queue WHERE q.platform = ?"
            " AND q.status IN ('pending', 'sending') AND q.chat_id > chats.chat_id)"
            " FROM chats WHERE chats.chat_id IS NOT NULL)"
            " SELECT h.id FROM chats JOIN outbox h ON h.id = (SELECT min(f.id) FROM outbox f"
            " INDEXED BY outbox_chat_queue WHERE f.platform = ? AND f.chat_id = chats.chat_id"
            " AND f.status IN ('pending', 'sending'))"
            " WHERE ((h.status = 'pending' AND h.next_attempt_at <= ?)"
            " OR (h.status = 'sending' AND h.lease_until < ?))" + leave +
            " ORDER BY h.id LIMIT ?",
            [platform, platform, platform, iso(now), iso(now), *exclude, limit],
        )
        return [int(row["id"]) for row in rows]

    def release(self, row_ids: list[int], now: datetime) -> None:
        """Give leased rows back unsent (a clean shutdown): due again at once, no attempt spent."""
        for row_id in row_ids:
            self.db.execute(
                "UPDATE outbox SET status = 'pending', lease_until = NULL, next_attempt_at = ?,"
                " attempts = max(attempts - 1, 0), updated_at = ?"
                " WHERE id = ? AND status = 'sending'",
                [iso(now), iso(now), row_id],
            )

    def retry(self, now: datetime, row_id: int | None = None) -> int:
        """Send failed rows again (one, or every failed one); how many were re-driven.

        Their retry horizon starts again now; rows that are undeliverable (window closed,
        blocked) are not re-driven: sending them again cannot work.
        """
        which = "id = ?" if row_id is not None else "1 = 1"
        cursor = self.db.execute(
            "UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = ?,"
            " retry_since = ?, lease_until = NULL, updated_at = ?"
            f" WHERE status = 'failed' AND {which}",
            [iso(now), iso(now), iso(now), *([row_id] if row_id is not None else [])],
        )
        return cursor.rowcount

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

    def next_due_at(self, now: datetime) -> datetime | None:
        """The next moment a row becomes due: a retry's time, or a dead sender's lease ending.

        Rows due already but waiting behind an earlier row of their chat are not counted:
        they become due when that row is done, and whoever finishes it says so.
        """
        value = self.db.scalar(
            "SELECT min(at) FROM (SELECT min(next_attempt_at) AS at FROM outbox"
            " WHERE status = 'pending' AND next_attempt_at > ? UNION ALL"
            " SELECT min(lease_until) FROM outbox WHERE status = 'sending') AS due",
            [iso(now)],
        )
        return parse_iso(value) if value else None

    def delete_finished_before(
        self, status: str, cutoff: datetime, batch: int = 2000
    ) -> int:
        """Forget up to `batch` rows in a final `status` last due before `cutoff`; how many.

        A finished row's next_attempt_at is when it was last tried, so the (status,
        next_attempt_at) index finds the oldest without scanning.
        """
        cursor = self.db.execute(
            "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE status = ?"
            " AND next_attempt_at < ? ORDER BY next_attempt_at LIMIT ?)",
            [status, iso(cutoff), batch],
        )
        return cursor.rowcount

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
