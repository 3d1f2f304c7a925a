"""Scoring the store's knowledge base against a labelled CSV of questions (`text,faq_id`)."""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.config import KnowledgeBaseSettings
from bot.faq_index import ANSWER, FALLBACK, FaqIndex, outcome_of

OUT_OF_SCOPE = "oos"


@dataclass(frozen=True, slots=True)
class Scored:
    """One labelled question and what the matcher made of it."""

    text: str
    expected: str
    ranked: tuple[str, ...]
    score: float
    outcome: str

    @property
    def top(self) -> str:
        """The best FAQ, or '' when nothing matched at all."""
        return self.ranked[0] if self.ranked else ""


@dataclass(frozen=True, slots=True)
class Evaluation:
    """Every scored question, with the measures derived from them."""

    rows: tuple[Scored, ...]

    def _inscope(self) -> list[Scored]:
        return [row for row in self.rows if row.expected != OUT_OF_SCOPE]

    def top1(self) -> float:
        """Share of in-scope questions whose best FAQ is the right one."""
        rows = self._inscope()
        return sum(row.top == row.expected for row in rows) / len(rows) if rows else 0.0

    def top3(self) -> float:
        """Share of in-scope questions with the right FAQ among the best three."""
        rows = self._inscope()
        return sum(row.expected in row.ranked[:3] for row in rows) / len(rows) if rows else 0.0

    def outcomes(self) -> Counter[str]:
        """How many questions are answered, get "did you mean", or fall back."""
        return Counter(row.outcome for row in self.rows)

    def wrong_answers(self) -> int:
        """Questions answered outright with the wrong FAQ (the costly mistake)."""
        return sum(row.outcome == ANSWER and row.top != row.expected for row in self.rows)

    def oos_recall(self) -> float | None:
        """Share of out-of-scope questions that fall back (None without any)."""
        rows = [row for row in self.rows if row.expected == OUT_OF_SCOPE]
        return sum(row.outcome == FALLBACK for row in rows) / len(rows) if rows else None

    def confusions(self, limit: int = 10) -> list[tuple[str, str, int, Scored]]:
        """The most frequent (expected, got) misses, each with its most confident example."""
        misses = [
            row for row in self.rows
            if (row.expected == OUT_OF_SCOPE and row.outcome != FALLBACK)
            or (row.expected != OUT_OF_SCOPE and row.top != row.expected)
        ]
        counts = Counter((row.expected, row.top) for row in misses)
        worst: dict[tuple[str, str], Scored] = {}
        for row in misses:
            key = (row.expected, row.top)
            if key not in worst or row.score > worst[key].score:
                worst[key] = row
        ranked = sorted(counts, key=lambda key: (-counts[key], -worst[key].score))
        return [(key[0], key[1], counts[key], worst[key]) for key in ranked[:limit]]


def read_labelled(path: Path, known: set[str]) -> tuple[list[tuple[str, str]], list[str]]:
    """(text, faq_id) pairs from a CSV with `text` and `faq_id` columns, and its problems."""
    with path.open(encoding="utf-8-sig", newline="") as file:
        reader = csv.DictReader(file)
        if not {"text", "faq_id"} <= set(reader.fieldnames or ()):
            return [], [f"{path.name}: needs the columns text and faq_id"]
        pairs, problems = [], []
        for number, row in enumerate(reader, start=2):
            text, label = (row["text"] or "").strip(), (row["faq_id"] or "").strip()
            if not text:
                continue
            if label != OUT_OF_SCOPE and label not in known:
                problems.append(f"{path.name} row {number}: no FAQ {label!r} (skipped)")
                continue
            pairs.append((text, label))
    return pairs, problems


def evaluate(
    faqs: FaqIndex, pairs: Sequence[tuple[str, str]], settings: KnowledgeBaseSettings
) -> Evaluation:
    """Ask the index every question."""
    rows = []
    for text, expected in pairs:
        candidates = faqs.search(text, limit=3)
        rows.append(
            Scored(
                text=text,
                expected=expected,
                ranked=tuple(candidate.faq_id for candidate in candidates),
                score=candidates[0].score if candidates else 0.0,
                outcome=outcome_of(candidates, settings),
            )
        )
    return Evaluation(tuple(rows))
