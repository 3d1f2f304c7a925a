"""The review queue: questions the bot could not answer well, for staff to attach or answer."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from bot.core.clock import iso, parse_iso
from bot.core.errors import ReviewError
from bot.core.faq import Faq
from bot.core.language import ENGLISH, HANS, detect_language, to_simplified
from bot.core.normalize import normalize
from bot.store.database import Database
from bot.store.kb.faqs import KnowledgeBaseStore

EXAMPLES = 5
NEAR = 5
LONGEST = 500
REASONS = ("unanswered", "suggested", "feedback")


@dataclass(frozen=True, slots=True)
class ReviewItem:
    """One question as customers asked it, however often, and what became of it."""

    id: int
    key: str
    reason: str
    count: int
    first_asked_at: datetime
    last_asked_at: datetime
    examples: tuple[str, ...]
    near: tuple[str, ...]
    status: str
    faq_id: str | None


def question_key(text: str) -> str:
    """The form under which equal questions are counted together."""
    return normalize(to_simplified(text))


def _merged(new: Iterable[str], old: Iterable[str], limit: int) -> list[str]:
    return list(dict.fromkeys([*new, *old]))[:limit]


class ReviewQueue:
    """Logs weak questions by normalised text; attaching or answering one edits the KB."""

    def __init__(self, db: Database, kb: KnowledgeBaseStore) -> None:
        self.db = db
        self.kb = kb

    def log(
        self, text: str, now: datetime, *, reason: str, near: Iterable[str] = ()
    ) -> ReviewItem | None:
        """Count one more asking of `text` (None when it has nothing to count)."""
        if reason not in REASONS:
            raise ValueError(f"unknown review reason {reason!r}")
        example = text.strip()[:LONGEST]
        key = question_key(example)
        if not key:
            return None
        with self.db.transaction():
            row = self.db.one("SELECT * FROM kb_review WHERE key = ?", [key])
            if row is None:
                self.db.execute(
                    "INSERT INTO kb_review (key, reason, count, first_asked_at, last_asked_at,"
                    " examples, near) VALUES (?, ?, 1, ?, ?, ?, ?)",
                    [key, reason, iso(now), iso(now), json.dumps([example], ensure_ascii=False),
                     json.dumps(_merged(near, (), NEAR))],
                )
            else:
                # Asked again after staff dealt with it: it is back in the queue.
                self.db.execute(
                    "UPDATE kb_review SET reason = ?, count = count + 1, last_asked_at = ?,"
                    " examples = ?, near = ?, status = 'open' WHERE id = ?",
                    [reason, iso(now),
                     json.dumps(_merged([example], json.loads(row["examples"]), EXAMPLES),
                                ensure_ascii=False),
                     json.dumps(_merged(near, json.loads(row["near"]), NEAR)), row["id"]],
                )
            return self._item_by("key", key)

    def items(self, status: str = "open", limit: int = 50) -> list[ReviewItem]:
        """Queue items in one status, the most asked first."""
        rows = self.db.query(
            "SELECT * FROM kb_review WHERE status = ? ORDER BY count DESC, last_asked_at DESC"
            " LIMIT ?",
            [status, limit],
        )
        return [_item(row) for row in rows]

    def get(self, item_id: int) -> ReviewItem | None:
        """One item by id."""
        return self._item_by("id", item_id)

    def attach(self, item_id: int, faq_id: str, who: str, now: datetime) -> Faq:
        """Add the item's question as a phrasing of an FAQ (a revision); it leaves the queue."""
        with self.db.transaction():
            item = self._open(item_id)
            faq = self.kb.get(faq_id)
            if faq is None:
                raise ReviewError(f"no FAQ {faq_id!r}")
            language, text = _phrasing(item.examples[0])
            for other in self.kb.all():
                if other.id != faq.id and any(
                    question_key(phrasing) == item.key for phrasing in other.phrasings()
                ):
                    raise ReviewError(f"{text!r} is already a phrasing of FAQ {other.id}")
            if any(question_key(negative) == item.key for negative in faq.negatives):
                raise ReviewError(f"{text!r} is a negative of FAQ {faq.id}: remove it first")
            if all(question_key(phrasing) != item.key for phrasing in faq.phrasings()):
                questions = dict(faq.questions)
                questions[language] = (*questions.get(language, ()), text)
                faq = replace(faq, questions=questions)
                self.kb.save(faq, now, who)
            self._resolve(item.id, "attached", faq.id, who, now)
        return faq

    def create(
        self, item_id: int, answer: str, who: str, now: datetime, faq_id: str | None = None
    ) -> Faq:
        """Make a new FAQ from the item's question with `answer`; it leaves the queue."""
        if not answer.strip():
            raise ReviewError("the new FAQ needs an answer")
        with self.db.transaction():
            item = self._open(item_id)
            language, text = _phrasing(item.examples[0])
            faq_id = faq_id or self._new_id(text, item.id)
            if self.kb.get(faq_id) is not None:
                raise ReviewError(f"FAQ {faq_id!r} exists already: attach to it instead")
            written = to_simplified(answer.strip()) if language == HANS else answer.strip()
            faq = Faq(id=faq_id, questions={language: (text,)}, answers={language: written})
            self.kb.save(faq, now, who)
            self._resolve(item.id, "created", faq.id, who, now)
        return faq

    def dismiss(self, item_id: int, who: str, now: datetime) -> None:
        """Take an item out of the queue without changing the KB (it returns if asked again)."""
        with self.db.transaction():
            self._resolve(self._open(item_id).id, "dismissed", None, who, now)

    def _open(self, item_id: int) -> ReviewItem:
        item = self.get(item_id)
        if item is None:
            raise ReviewError(f"no question {item_id} in the review queue")
        return item

    def _resolve(
        self, item_id: int, status: str, faq_id: str | None, who: str, now: datetime
    ) -> None:
        self.db.execute(
            "UPDATE kb_review SET status = ?, faq_id = ?, resolved_by = ?, resolved_at = ?"
            " WHERE id = ?",
            [status, faq_id, who, iso(now), item_id],
        )

    def _new_id(self, text: str, item_id: int) -> str:
        slug = "-".join(re.findall(r"[a-z0-9]+", text.casefold()))[:40].strip("-")
        base = slug or f"question-{item_id}"
        candidate, number = base, 2
        while self.kb.get(candidate) is not None:
            candidate, number = f"{base}-{number}", number + 1
        return candidate

    def _item_by(self, column: str, value: Any) -> ReviewItem | None:
        sql = {"id": "SELECT * FROM kb_review WHERE id = ?",
               "key": "SELECT * FROM kb_review WHERE key = ?"}[column]
        row = self.db.one(sql, [value])
        return _item(row) if row is not None else None


def _phrasing(text: str) -> tuple[str, str]:
    """The FAQ language and text a customer's question is stored as (traditional → simplified)."""
    language = detect_language(text, HANS)
    if language == ENGLISH:
        return ENGLISH, text
    return HANS, to_simplified(text)


def _item(row: dict[str, Any]) -> ReviewItem:
    return ReviewItem(
        id=row["id"],
        key=row["key"],
        reason=row["reason"],
        count=row["count"],
        first_asked_at=parse_iso(row["first_asked_at"]),
        last_asked_at=parse_iso(row["last_asked_at"]),
        examples=tuple(json.loads(row["examples"])),
        near=tuple(json.loads(row["near"])),
        status=row["status"],
        faq_id=row["faq_id"],
    )
