"""Replies kept for a later passive answer: the platform could not send them when they were
ready (a WeChat account without the customer-service API). Each is given once: in the answer
to the platform's retry of its message, or at the customer's next message."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.core.clock import iso
from bot.core.message import Reply
from bot.store.database import Database

ANSWER = "answer"  # the whole answer to `source`, which missed its passive answer
REST = "rest"  # what did not fit in the passive answer to `source`
LATER = "later"  # a send the platform refused (no API): no message it answers


@dataclass(frozen=True, slots=True)
class HeldReply:
    """One reply waiting for a passive answer."""

    id: int
    platform: str
    chat_id: str
    user_id: str
    source: str  # the delivery key of the message it answers ('' for LATER)
    reason: str
    reply: Reply
    given_for: str | None  # the delivery whose passive answer carried it


def _held(row: dict[str, object]) -> HeldReply:
    return HeldReply(
        id=int(str(row["id"])),
        platform=str(row["platform"]),
        chat_id=str(row["chat_id"]),
        user_id=str(row["user_id"]),
        source=str(row["source"]),
        reason=str(row["reason"]),
        reply=Reply.from_dict(json.loads(str(row["reply"]))),
        given_for=str(row["given_for"]) if row["given_for"] is not None else None,
    )


class HeldReplies:
    """The held_replies table."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def hold(
        self, platform: str, chat_id: str, user_id: str, replies: Sequence[Reply], now: datetime,
        *, reason: str, source: str = "", dedupe_key: str | None = None,
    ) -> int:
        """Keep replies for a later passive answer; how many were new (a dedupe key seen
        before keeps nothing twice)."""
        added = 0
        for index, reply in enumerate(replies):
            cursor = self.db.execute(
                "INSERT OR IGNORE INTO held_replies (platform, chat_id, user_id, source, reason,"
                " reply, dedupe_key, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [platform, chat_id, user_id, source, reason,
                 json.dumps(reply.to_dict(), ensure_ascii=False),
                 f"{dedupe_key}:{index}" if dedupe_key else None, iso(now)],
            )
            added += cursor.rowcount
        return added

    def of_answer(self, platform: str, source: str) -> list[HeldReply]:
        """The held answer to one message: not given yet, or given in an answer to that same
        message (which never reached the platform, since it delivered the message again)."""
        rows = self.db.query(
            "SELECT * FROM held_replies WHERE platform = ? AND source = ? AND reason = ?"
            " AND (given_for IS NULL OR given_for = ?) ORDER BY id",
            [platform, source, ANSWER, source],
        )
        return [_held(row) for row in rows]

    def waiting(self, platform: str, chat_id: str) -> list[HeldReply]:
        """Everything not given yet in a chat, oldest first."""
        rows = self.db.query(
            "SELECT * FROM held_replies WHERE platform = ? AND chat_id = ?"
            " AND given_for IS NULL ORDER BY id",
            [platform, chat_id],
        )
        return [_held(row) for row in rows]

    def give(self, ids: Sequence[int], delivery_key: str, now: datetime) -> list[HeldReply]:
        """Claim replies for the passive answer to `delivery_key`; the ones won, in order.

        Atomic: of two answers claiming the same reply, one gets it (the other may only
        re-claim what it claimed itself, for a retry of the same message).
        """
        if not ids:
            return []
        marks = ", ".join("?" for _ in ids)
        rows = list(self.db.query(
            "UPDATE held_replies SET given_for = ?, given_at = ? WHERE id IN (" + marks + ")"
            " AND (given_for IS NULL OR given_for = ?) RETURNING *",
            [delivery_key, iso(now), *ids, delivery_key],
        ))
        return sorted((_held(row) for row in rows), key=lambda held: held.id)

    def delete_before(self, cutoff: datetime, batch: int, *, given: bool) -> int:
        """Forget up to `batch` held replies kept before `cutoff`, given ones or ones still
        waiting (a customer who never wrote again); how many went."""
        state = "IS NOT NULL" if given else "IS NULL"
        cursor = self.db.execute(
            "DELETE FROM held_replies WHERE id IN (SELECT id FROM held_replies"
            f" WHERE created_at < ? AND given_for {state} ORDER BY created_at LIMIT ?)",
            [iso(cutoff), batch],
        )
        return cursor.rowcount

    def count_waiting(self, platform: str | None = None) -> int:
        """How many replies wait for a customer's next message."""
        if platform is None:
            return int(self.db.scalar("SELECT count(*) FROM held_replies WHERE given_for IS NULL"))
        return int(self.db.scalar(
            "SELECT count(*) FROM held_replies WHERE given_for IS NULL AND platform = ?",
            [platform],
        ))
