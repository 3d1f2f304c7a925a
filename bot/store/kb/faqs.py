"""The knowledge base at run time: FAQs in the store, seeded from files, every edit a revision."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from bot.core.clock import iso, parse_iso
from bot.core.errors import KnowledgeBaseError
from bot.core.faq import Faq, faq_from_dict
from bot.store.database import Database

VERSION_KEY = "kb_version"


@dataclass(frozen=True, slots=True)
class Revision:
    """One change of one FAQ: who made it, when, and its data before and after."""

    id: int
    faq_id: str
    who: str
    created_at: datetime
    before: dict[str, Any] | None
    after: dict[str, Any]
    reverts: int | None = None
    undone: bool = False


def _faq(data: dict[str, Any]) -> Faq:
    faq, problems = faq_from_dict(data)
    if faq is None:
        raise KnowledgeBaseError(problems)
    return faq


class KnowledgeBaseStore:
    """FAQs as stored rows; every change is a revision and bumps a version others watch."""

    def __init__(self, db: Database) -> None:
        self.db = db
        # Edits made through this object: a reader holding one version sees its own edits.
        self.edits = 0

    def all(self, *, include_disabled: bool = False) -> list[Faq]:
        """Every FAQ, in id order."""
        sql = "SELECT data, enabled FROM faqs"
        if not include_disabled:
            sql += " WHERE enabled = 1"
        faqs = []
        for row in self.db.query(sql + " ORDER BY id"):
            faq, _ = faq_from_dict(json.loads(row["data"]))
            if faq is not None:
                faqs.append(faq)
        return faqs

    def get(self, faq_id: str) -> Faq | None:
        """One FAQ by id, enabled or not."""
        data = self._data(faq_id)
        return _faq(data) if data is not None else None

    def save(self, faq: Faq, now: datetime, who: str = "") -> bool:
        """Insert or replace one FAQ as a revision; False when nothing changed."""
        with self.db.transaction():
            before = self._data(faq.id)
            after = faq.to_dict()
            if before == after:
                return False
            self._write(faq.id, before, after, now, who)
        return True

    def disable(self, faq_id: str, who: str, now: datetime) -> Faq | None:
        """Switch an FAQ off without deleting it; None if there is no such FAQ."""
        with self.db.transaction():
            faq = self.get(faq_id)
            if faq is None:
                return None
            disabled = replace(faq, enabled=False)
            self.save(disabled, now, who)
        return disabled

    def revisions(self, faq_id: str) -> list[Revision]:
        """Every change of one FAQ, oldest first."""
        rows = self.db.query(
            "SELECT * FROM kb_revisions WHERE faq_id = ? ORDER BY id", [faq_id]
        )
        return [_revision(row) for row in rows]

    def recent_revisions(self, limit: int = 20, who: str | None = None) -> list[Revision]:
        """The latest changes (optionally by one person), newest first."""
        if who is None:
            rows = self.db.query("SELECT * FROM kb_revisions ORDER BY id DESC LIMIT ?", [limit])
        else:
            rows = self.db.query(
                "SELECT * FROM kb_revisions WHERE who = ? ORDER BY id DESC LIMIT ?", [who, limit]
            )
        return [_revision(row) for row in rows]

    def undo(self, who: str, now: datetime) -> Faq | None:
        """Revert `who`'s latest change not yet undone, as a new revision; None if none is left.

        Undoing the creation of an FAQ disables it. Raises KnowledgeBaseError when someone
        else changed the FAQ since, so that their later change is never silently lost.
        """
        with self.db.transaction():
            row = self.db.one(
                "SELECT * FROM kb_revisions WHERE who = ? AND undone = 0 AND reverts IS NULL"
                " ORDER BY id DESC LIMIT 1",
                [who],
            )
            if row is None:
                return None
            revision = _revision(row)
            current = self._data(revision.faq_id)
            if current != revision.after:
                later = self.db.scalar(
                    "SELECT who FROM kb_revisions WHERE faq_id = ? AND id > ? ORDER BY id DESC",
                    [revision.faq_id, revision.id],
                )
                raise KnowledgeBaseError(
                    [f"faq {revision.faq_id}: changed by {later or 'someone'} after this change;"
                     " undo or edit that change first"]
                )
            target = revision.before or {**revision.after, "enabled": False}
            self._write(revision.faq_id, current, target, now, who, reverts=revision.id)
            self.db.execute("UPDATE kb_revisions SET undone = 1 WHERE id = ?", [revision.id])
        return _faq(target)

    def seed(self, faqs: Iterable[Faq], now: datetime) -> int:
        """Fill an empty knowledge base from files; returns how many FAQs were added."""
        with self.db.transaction():
            if self.db.scalar("SELECT count(*) FROM faqs"):
                return 0
            count = 0
            for faq in faqs:
                self._write(faq.id, None, faq.to_dict(), now, "seed")
                count += 1
        return count

    def add_missing(self, faqs: Iterable[Faq], now: datetime, who: str = "seed") -> int:
        """Add the FAQs whose ids the store has never had (as revisions); returns how many.

        An id that exists, or existed and was switched off, is left alone: staff decided.
        """
        with self.db.transaction():
            count = 0
            for faq in faqs:
                if self.db.scalar("SELECT 1 FROM faqs WHERE id = ?", [faq.id]) is None:
                    self._write(faq.id, None, faq.to_dict(), now, who)
                    count += 1
        return count

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Several edits as one (an import is all or nothing)."""
        with self.db.transaction():
            yield

    def count(self) -> int:
        """How many FAQs are stored (enabled or not)."""
        return int(self.db.scalar("SELECT count(*) FROM faqs"))

    def version(self) -> int:
        """A number that changes whenever any FAQ changes."""
        value = self.db.scalar("SELECT value FROM kv WHERE key = ?", [VERSION_KEY])
        return int(value) if value else 0

    def _data(self, faq_id: str) -> dict[str, Any] | None:
        data = self.db.scalar("SELECT data FROM faqs WHERE id = ?", [faq_id])
        return json.loads(data) if data is not None else None

    def _write(
        self, faq_id: str, before: dict[str, Any] | None, after: dict[str, Any], now: datetime,
        who: str, reverts: int | None = None,
    ) -> None:
        """Store the FAQ's new data and the revision that records it (caller's transaction)."""
        text = json.dumps(after, ensure_ascii=False)
        self.db.execute(
            "INSERT INTO faqs (id, data, enabled, updated_at, updated_by)"
            " VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT(id) DO UPDATE SET data = excluded.data, enabled = excluded.enabled,"
            " updated_at = excluded.updated_at, updated_by = excluded.updated_by",
            [faq_id, text, int(after.get("enabled", True)), iso(now), who],
        )
        self.db.execute(
            "INSERT INTO kb_revisions (faq_id, who, created_at, before, after, reverts)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [faq_id, who, iso(now),
             json.dumps(before, ensure_ascii=False) if before is not None else None, text,
             reverts],
        )
        self.db.execute(
            "INSERT INTO kv (key, value, updated_at) VALUES (?, '1', ?) ON CONFLICT(key)"
            " DO UPDATE SET value = CAST(CAST(kv.value AS INTEGER) + 1 AS TEXT),"
            " updated_at = excluded.updated_at",
            [VERSION_KEY, iso(now)],
        )
        self.edits += 1


def _revision(row: dict[str, Any]) -> Revision:
    return Revision(
        id=row["id"],
        faq_id=row["faq_id"],
        who=row["who"],
        created_at=parse_iso(row["created_at"]),
        before=json.loads(row["before"]) if row["before"] is not None else None,
        after=json.loads(row["after"]),
        reverts=row["reverts"],
        undone=bool(row["undone"]),
    )
