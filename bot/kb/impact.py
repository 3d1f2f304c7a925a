"""What an FAQ edit would do before it is saved: how a question is matched against the draft,
and which questions the draft would newly answer, take from other FAQs, or stop answering.

Both sides are ranked by a lexical matcher built for the purpose (the live index may also
match by meaning; its semantic part is not in this preview).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from bot.config.knowledge_base import KnowledgeBaseSettings
from bot.core.faq import Candidate, Faq
from bot.core.language import to_simplified
from bot.core.normalize import normalize
from bot.kb.index import ANSWER, document_of, outcome_of
from bot.matching import Matcher

RANKED = 5
MOST_SHOWN = 30


@dataclass(frozen=True, slots=True)
class Decision:
    """How one question is matched: ranked candidates and what the bot would do."""

    question: str
    candidates: list[Candidate]
    outcome: str  # answer, did you mean, fallback
    faq_id: str | None  # the FAQ answered with, when the outcome is answer


@dataclass(frozen=True, slots=True)
class Move:
    """One question whose answer the draft changes."""

    question: str
    before: str | None  # the FAQ that answered it before, or None
    after: str | None  # the FAQ that answers it after, or None
    # After the change: "answer", or "did you mean" when the draft only ties with another FAQ.
    outcome: str = ANSWER


@dataclass(slots=True)
class Impact:
    """The questions the draft would newly answer, take from another FAQ, or give up."""

    checked: int = 0
    captured: list[Move] = field(default_factory=list)  # newly answered by the draft
    # Answered by another FAQ before; now by the draft, or a "did you mean" between the two.
    taken: list[Move] = field(default_factory=list)
    lost: list[Move] = field(default_factory=list)  # answered by this FAQ before, not after


class Ranker:
    """A matcher over a set of FAQs, deciding like the FAQ route (negatives included)."""

    def __init__(self, faqs: Iterable[Faq], settings: KnowledgeBaseSettings) -> None:
        live = [faq for faq in faqs if faq.enabled]
        self.matcher = Matcher(document_of(faq) for faq in live)
        self.negated: dict[str, set[str]] = {}
        for faq in live:
            for text in faq.negatives:
                self.negated.setdefault(normalize(to_simplified(text)), set()).add(faq.id)
        self.settings = settings

    def decide(self, question: str, limit: int = RANKED) -> Decision:
        """The candidates and the decision for one question."""
        query = to_simplified(question)
        excluded = self.negated.get(normalize(query), set())
        found = self.matcher.search(query, limit=limit + len(excluded))
        candidates = [c for c in found if c.faq_id not in excluded][:limit]
        outcome = outcome_of(candidates, self.settings)
        return Decision(question, candidates, outcome,
                        candidates[0].faq_id if outcome == ANSWER else None)


def with_draft(faqs: Sequence[Faq], draft: Faq, replaces: str | None = None) -> list[Faq]:
    """The knowledge base as it would be with the draft saved (under a new id if renamed)."""
    gone = {draft.id, replaces or draft.id}
    return [*(faq for faq in faqs if faq.id not in gone), draft]


def preview(
    faqs: Sequence[Faq], draft: Faq, questions: Iterable[str],
    settings: KnowledgeBaseSettings,
) -> Impact:
    """Rank each question with and without the draft and report what moves to or from it."""
    before = Ranker(faqs, settings)
    after = Ranker(with_draft(faqs, draft), settings)
    impact = Impact()
    for question in dict.fromkeys(text.strip() for text in questions if text.strip()):
        impact.checked += 1
        old = before.decide(question, 2).faq_id
        decided = after.decide(question, 2)
        new = decided.faq_id
        if old == new:
            continue
        if new == draft.id:
            move = Move(question, old, new)
            impact.captured.append(move)
            if old is not None:
                impact.taken.append(move)
        elif old == draft.id:
            impact.lost.append(Move(question, old, new, decided.outcome))
        elif old is not None and new is None and any(
            candidate.faq_id == draft.id for candidate in decided.candidates
        ):
            # A phrasing close to another FAQ's: its customers now get "did you mean".
            impact.taken.append(Move(question, old, None, decided.outcome))
    for moves in (impact.captured, impact.taken, impact.lost):
        del moves[MOST_SHOWN:]
    return impact
