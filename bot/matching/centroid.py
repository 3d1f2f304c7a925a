"""Per-FAQ term centroids: how distinctive a query's terms are of one FAQ's phrasings."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from itertools import repeat
from operator import mul

from bot.matching.subwords import with_subwords
from bot.matching.tokens import is_chinese


class CentroidIndex:
    """Cosine between a query and each FAQ's centroid, idf counted over FAQs, not phrasings.

    English words also count by their character trigrams: measured on Banking77 and CLINC150
    DEV, +0.5-1 point top-1, from related forms the stemmer keeps apart ("activation" and
    "activate", "paid" and "pay"). An FAQ with Chinese and English phrasings gets one centroid
    per script, so a Chinese question is not judged against a vector diluted by English terms.
    """

    def __init__(self) -> None:
        # Per FAQ, per script: the share of its phrasings that hold each term.
        self._shares: dict[str, tuple[dict[str, float], ...]] = {}
        # In how many FAQs each term occurs.
        self._faq_counts: Counter[str] = Counter()
        # Vector norms depend on every FAQ's idf, so any edit drops them; the next searches
        # recompute only the FAQs they score.
        self._norms: dict[str, tuple[float, ...]] = {}

    def add(self, faq_id: str, phrasings: Sequence[Iterable[str]]) -> None:
        """Index one FAQ from its phrasings' tokens (replacing an FAQ with the same id)."""
        self.remove(faq_id)
        groups: dict[bool, list[dict[str, None]]] = {}
        for tokens in phrasings:
            # Distinct terms in their order (not a set's): norms are float sums, and a sum in
            # hash order would differ in its last bits from process to process.
            terms = dict.fromkeys(with_subwords(tokens))
            if terms:
                groups.setdefault(any(is_chinese(term) for term in terms), []).append(terms)
        if not groups:
            return
        shares = []
        for members in groups.values():
            holding = Counter(term for terms in members for term in terms)
            shares.append({term: count / len(members) for term, count in holding.items()})
        self._shares[faq_id] = tuple(shares)
        self._faq_counts.update({term for share in shares for term in share})
        self._norms.clear()

    def remove(self, faq_id: str) -> None:
        """Forget one FAQ; unknown ids are ignored."""
        shares = self._shares.pop(faq_id, None)
        if shares is None:
            return
        terms = {term for share in shares for term in share}
        self._faq_counts.subtract(terms)
        for term in terms:
            if self._faq_counts[term] <= 0:
                del self._faq_counts[term]
        self._norms.clear()

    def idf(self, term: str) -> float:
        """Smoothed idf over FAQs; a term in every FAQ still weighs a little."""
        return math.log(1.0 + len(self._shares) / (self._faq_counts.get(term, 0) + 1.0))

    def query_weights(self, terms: Iterable[str]) -> tuple[dict[str, float], float]:
        """The query's squared idf per term (its vector times the FAQ idf) and its norm."""
        squares = {term: self.idf(term) ** 2 for term in dict.fromkeys(with_subwords(terms))}
        return squares, math.sqrt(sum(squares.values()))

    def cosine(self, faq_id: str, squares: dict[str, float], norm: float) -> float:
        """Cosine between a query vector from `query_weights` and one FAQ's closest centroid."""
        groups = self._shares.get(faq_id)
        if not groups or not norm:
            return 0.0
        norms = self._norms.get(faq_id)
        if norms is None:
            norms = self._norms[faq_id] = tuple(self._norm(shares) for shares in groups)
        best = 0.0
        for shares, group_norm in zip(groups, norms, strict=True):
            # Summed in the query's own term order, so equal indexes give equal scores whatever
            # order their FAQs were added in.
            # map in C rather than a generator: this is the matcher's innermost loop.
            dot = sum(map(mul, squares.values(), map(shares.get, squares, repeat(0.0))))
            best = max(best, dot / (norm * group_norm))
        return best

    def _norm(self, shares: dict[str, float]) -> float:
        idf = self.idf
        return math.sqrt(sum((share * idf(term)) ** 2 for term, share in shares.items()))

