"""The live FAQ index: the store's FAQs in a matcher, refreshed whenever the store changes."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from bot.config import KnowledgeBaseSettings
from bot.knowledge import Faq
from bot.language import to_simplified
from bot.matching import Candidate, FaqDocument, Matcher, normalize
from bot.store.kb import KnowledgeBaseStore

log = logging.getLogger(__name__)


ANSWER, SUGGEST, FALLBACK = "answer", "did you mean", "fallback"


def outcome_of(candidates: Sequence[Candidate], settings: KnowledgeBaseSettings) -> str:
    """What the bot does with ranked candidates: answer, ask "did you mean", or fall back."""
    if not candidates or candidates[0].score < settings.suggest_threshold:
        return FALLBACK
    runner_up = candidates[1].score if len(candidates) > 1 else 0.0
    # A close runner-up means the question is ambiguous: offering both beats a wrong answer.
    if (
        candidates[0].score >= settings.answer_threshold
        and candidates[0].score - runner_up >= settings.answer_margin
    ):
        return ANSWER
    return SUGGEST


def document_of(faq: Faq) -> FaqDocument:
    """What the matcher needs to know of an FAQ."""
    return FaqDocument(
        faq_id=faq.id,
        phrasings=faq.phrasings(),
        keywords=faq.keywords,
        negatives=faq.negatives,
    )


class FaqIndex:
    """FAQs by id plus a matcher over them; edits in any process show up on the next query."""

    def __init__(self, kb: KnowledgeBaseStore) -> None:
        self.kb = kb
        self.faqs: dict[str, Faq] = {}
        self.matcher = Matcher()
        self._negated: dict[str, set[str]] = {}  # normalised negative → ids of its FAQs
        self._version = -1
        # The last search: one message is often searched twice (FAQ route, then fallback).
        self._last: tuple[tuple[int, str, int], list[Candidate]] | None = None

    def refresh(self) -> None:
        """Bring the index up to date with the store (cheap when nothing changed)."""
        version = self.kb.version()
        if version == self._version:
            return
        current = {faq.id: faq for faq in self.kb.all()}
        for faq_id in set(self.faqs) - set(current):
            self.matcher.remove(faq_id)
        for faq_id, faq in current.items():
            if self.faqs.get(faq_id) != faq:
                self.matcher.upsert(document_of(faq))
        self.faqs = current
        self._negated = {}
        for faq in current.values():
            for text in faq.negatives:
                self._negated.setdefault(normalize(to_simplified(text)), set()).add(faq.id)
        self._version = version
        log.info("FAQ index at version %d with %d FAQs", version, len(current))

    def search(self, text: str, limit: int = 3) -> list[Candidate]:
        """The best FAQs for a question, best first; never an FAQ listing it as a negative."""
        self.refresh()
        key = (self._version, text, limit)
        if self._last is not None and self._last[0] == key:
            return list(self._last[1])
        query = to_simplified(text)
        # A negative written out exactly is a promise to staff, whatever the matcher scores.
        excluded = self._negated.get(normalize(query), set())
        found = self.matcher.search(query, limit=limit + len(excluded))
        result = [candidate for candidate in found if candidate.faq_id not in excluded][:limit]
        self._last = (key, result)
        return list(result)

    def get(self, faq_id: str) -> Faq | None:
        """One enabled FAQ by id."""
        self.refresh()
        return self.faqs.get(faq_id)
