"""FAQ matching: an index over FAQ phrasings that ranks candidates for a question."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from rapidfuzz import fuzz

_PUNCTUATION = re.compile(r"[\W_]+", re.UNICODE)


def normalize(text: str) -> str:
    """Fold width, case and punctuation so that equal questions compare equal."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return _PUNCTUATION.sub(" ", folded).strip()


@dataclass(frozen=True, slots=True)
class FaqDocument:
    """What the matcher knows of one FAQ."""

    faq_id: str
    phrasings: tuple[str, ...]
    keywords: tuple[str, ...] = ()
    negatives: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Candidate:
    """One FAQ that may answer the question, with a score in [0, 1]."""

    faq_id: str
    score: float
    phrasing: str
    components: dict[str, float] = field(default_factory=dict)


class Matcher:
    """Ranks FAQs for a question by fuzzy similarity to their phrasings."""

    def __init__(self, documents: Iterable[FaqDocument] = ()) -> None:
        self._documents: dict[str, tuple[FaqDocument, list[str]]] = {}
        for document in documents:
            self.upsert(document)

    def upsert(self, document: FaqDocument) -> None:
        """Add or replace one FAQ."""
        self._documents[document.faq_id] = (
            document,
            [normalize(phrasing) for phrasing in document.phrasings],
        )

    def remove(self, faq_id: str) -> None:
        """Forget one FAQ."""
        self._documents.pop(faq_id, None)

    def __len__(self) -> int:
        return len(self._documents)

    def search(self, query: str, limit: int = 5) -> list[Candidate]:
        """The best `limit` FAQs for `query`, best first."""
        text = normalize(query)
        if not text:
            return []
        candidates = []
        for faq_id, (document, phrasings) in self._documents.items():
            best, best_phrasing = 0.0, ""
            for phrasing, original in zip(phrasings, document.phrasings, strict=True):
                score = fuzz.ratio(text, phrasing) / 100
                if score > best:
                    best, best_phrasing = score, original
            candidates.append(Candidate(faq_id, best, best_phrasing, {"ratio": best}))
        candidates.sort(key=lambda candidate: candidate.score, reverse=True)
        return candidates[:limit]
