"""The live FAQ index: the store's FAQs in a matcher, refreshed whenever the store changes."""

from __future__ import annotations

import logging

from bot.knowledge import Faq
from bot.language import to_simplified
from bot.matching import Candidate, FaqDocument, Matcher
from bot.store.kb import KnowledgeBaseStore

log = logging.getLogger(__name__)


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
        self._version = -1

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
        self._version = version
        log.info("FAQ index at version %d with %d FAQs", version, len(current))

    def search(self, text: str, limit: int = 3) -> list[Candidate]:
        """The best FAQs for a question, best first."""
        self.refresh()
        return self.matcher.search(to_simplified(text), limit=limit)

    def get(self, faq_id: str) -> Faq | None:
        """One enabled FAQ by id."""
        self.refresh()
        return self.faqs.get(faq_id)
