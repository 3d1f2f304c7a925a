"""The knowledge base at run time: FAQs in the store, seeded from knowledge_base/ files."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime

from bot.clock import iso
from bot.knowledge import Faq, faq_from_dict
from bot.store.database import Database

VERSION_KEY = "kb_version"


class KnowledgeBaseStore:
    """FAQs as stored rows; every change bumps a version other processes can watch."""

    def __init__(self, db: Database) -> None:
        self.db = db

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
        data = self.db.scalar("SELECT data FROM faqs WHERE id = ?", [faq_id])
        if data is None:
            return None
        faq, _ = faq_from_dict(json.loads(data))
        return faq

    def save(self, faq: Faq, now: datetime, who: str = "") -> None:
        """Insert or replace one FAQ."""
        with self.db.transaction():
            self.db.execute(
                "INSERT INTO faqs (id, data, enabled, updated_at, updated_by)"
                " VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT(id) DO UPDATE SET data = excluded.data, enabled = excluded.enabled,"
                " updated_at = excluded.updated_at, updated_by = excluded.updated_by",
                [faq.id, json.dumps(faq.to_dict(), ensure_ascii=False), int(faq.enabled),
                 iso(now), who],
            )
            self._bump(now)

    def seed(self, faqs: Iterable[Faq], now: datetime) -> int:
        """Fill an empty knowledge base from files; returns how many FAQs were added."""
        with self.db.transaction():
            if self.db.scalar("SELECT count(*) FROM faqs"):
                return 0
            count = 0
            for faq in faqs:
                self.db.execute(
                    "INSERT INTO faqs (id, data, enabled, updated_at, updated_by)"
                    " VALUES (?, ?, ?, ?, 'seed')",
                    [faq.id, json.dumps(faq.to_dict(), ensure_ascii=False), int(faq.enabled),
                     iso(now)],
                )
                count += 1
            self._bump(now)
        return count

    def version(self) -> int:
        """A number that changes whenever any FAQ changes."""
        value = self.db.scalar("SELECT value FROM kv WHERE key = ?", [VERSION_KEY])
        return int(value) if value else 0

    def _bump(self, now: datetime) -> None:
        self.db.execute(
            "INSERT INTO kv (key, value, updated_at) VALUES (?, '1', ?) ON CONFLICT(key)"
            " DO UPDATE SET value = CAST(value AS INTEGER) + 1, updated_at = excluded.updated_at",
            [VERSION_KEY, iso(now)],
        )
