"""Scoring the store's knowledge base against a labelled CSV of questions (`text,faq_id`)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.config.knowledge_base import KnowledgeBaseSettings
from bot.core.spreadsheet import decode, read_sheet
from bot.kb.index import ANSWER, FALLBACK, FaqIndex, outcome_of

OUT_OF_SCOPE = "oos"
COLUMNS = ("text", "faq_id")


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
    """(text, faq_id) pairs from a CSV with `text` and `faq_id` columns, and its problems.

    The file is read as the KB import reads a spreadsheet (bot/spreadsheet.py), other columns
    allowed. One that cannot be read whole gives no pairs: a score of part of it would mislead.
    """
    text, unreadable = decode(path.read_bytes(), path.name)
    if unreadable:
        return [], unreadable
    sheet = read_sheet(text, path.name, COLUMNS, COLUMNS, extra_columns=True)
    if not sheet.complete:
        return [], sheet.problems
    pairs = []
    skipped = list(sheet.rejected)
    for number, row in sheet.rows:
        question, label = row["text"], row["faq_id"]
        if not question:
            skipped.append((number, "text is empty"))
        elif not label:
            skipped.append((number, "faq_id is empty"))
        elif label != OUT_OF_SCOPE and label not in known:
            skipped.append((number, f"no FAQ {label!r}"))
        else:
            pairs.append((question, label))
    problems = [f"{path.name} row {number}: {why} (skipped)" for number, why in sorted(skipped)]
    return pairs, problems


def evaluate(
    faqs: FaqIndex, pairs: Sequence[tuple[str, str]], settings: KnowledgeBaseSettings,
    progress: Callable[[int, int], None] | None = None,
) -> Evaluation:
    """Ask the index every question; `progress(done, total)` hears how far it is."""
    rows = []
    for number, (text, expected) in enumerate(pairs, 1):
        if progress is not None:
            progress(number, len(pairs))
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
