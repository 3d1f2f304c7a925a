"""Per-FAQ term centroids: how distinctive a query's terms are of one FAQ's phrasings."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence


class CentroidIndex:
    """Cosine between a query and each FAQ's centroid, idf counted over FAQs, not phrasings."""

    def __init__(self) -> None:
        # Per FAQ: the share of its phrasings that hold each term.
        self._shares: dict[str, dict[str, float]] = {}
        # In how many FAQs each term occurs.
        self._faq_counts: Counter[str] = Counter()
        # Vector norms depend on every FAQ's idf, so any edit drops them; the next searches
        # recompute only the FAQs they score.
        self._norms: dict[str, float] = {}

    def add(self, faq_id: str, phrasings: Sequence[Iterable[str]]) -> None:
        """Index one FAQ from its phrasings' tokens (replacing an FAQ with the same id)."""
        self.remove(faq_id)
        holding: Counter[str] = Counter()
        for tokens in phrasings:
            holding.update(set(tokens))
        if not holding:
            return
        total = len(phrasings)
        self._shares[faq_id] = {term: count / total for term, count in holding.items()}
        self._faq_counts.update(holding.keys())
        self._norms.clear()

    def remove(self, faq_id: str) -> None:
        """Forget one FAQ; unknown ids are ignored."""
        shares = self._shares.pop(faq_id, None)
        if shares is None:
            return
        self._faq_counts.subtract(shares.keys())
        for term in shares:
            if self._faq_counts[term] <= 0:
                del self._faq_counts[term]
        self._norms.clear()

    def idf(self, term: str) -> float:
        """Smoothed idf over FAQs; a term in every FAQ still weighs a little."""
        return math.log(1.0 + len(self._shares) / (self._faq_counts.get(term, 0) + 1.0))

    def query_weights(self, terms: Iterable[str]) -> tuple[dict[str, float], float]:
        """The query's squared idf per term (its vector times the FAQ idf) and its norm."""
        squares = {term: self.idf(term) ** 2 for term in set(terms)}
        return squares, math.sqrt(sum(squares.values()))

    def cosine(self, faq_id: str, squares: dict[str, float], norm: float) -> float:
        """Cosine between a query vector from `query_weights` and one FAQ's centroid."""
        shares = self._shares.get(faq_id)
        if not shares or not norm:
            return 0.0
        # fsum is exact, so the set's order cannot make equal indexes score differently.
        dot = math.fsum(squares[term] * shares[term] for term in squares.keys() & shares.keys())
        if not dot:
            return 0.0
        return dot / (norm * self._norm(faq_id, shares))

    def _norm(self, faq_id: str, shares: dict[str, float]) -> float:
        norm = self._norms.get(faq_id)
        if norm is None:
            idf = self.idf
            norm = math.sqrt(sum((share * idf(term)) ** 2 for term, share in shares.items()))
            self._norms[faq_id] = norm
        return norm
