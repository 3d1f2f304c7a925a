"""An incremental BM25 inverted index in plain dicts, keyed by integer document ids."""

from __future__ import annotations

import heapq
import math
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

K1 = 1.2
B = 0.75
# Posting weights bake in the average length; refresh them once it drifts this far.
_AVGDL_DRIFT = 0.1
# Postings walked in full per query, rarest terms first; the rest only re-rank a pool.
_POSTING_BUDGET = 1000
_COMMON_POOL = 100


class Bm25Index:
    """BM25 over documents that can be added and removed one at a time."""

    def __init__(self, k1: float = K1, b: float = B) -> None:
        self._k1 = k1
        self._b = b
        self._postings: dict[str, dict[int, float]] = {}
        self._terms: dict[int, Counter[str]] = {}
        self._lengths: dict[int, int] = {}
        self._total_length = 0
        self._weighted_avgdl = 1.0
        self._bulk = False  # inside `bulk`: posting weights wait for its end
        self._unweighed: list[int] = []  # documents added in the bulk, in order

    def __len__(self) -> int:
        return len(self._terms)

    def __contains__(self, doc: int) -> bool:
        return doc in self._terms

    @property
    def vocabulary(self) -> Iterable[str]:
        """Every indexed term."""
        return self._postings.keys()

    def has_term(self, term: str) -> bool:
        """True if some document holds `term`."""
        return term in self._postings

    def add(self, doc: int, tokens: Iterable[str]) -> None:
        """Index one document (replacing any document with the same id)."""
        if doc in self._terms:
            self.remove(doc)
        counts = Counter(tokens)
        length = sum(counts.values())
        self._terms[doc] = counts
        self._lengths[doc] = length
        self._total_length += length
        if self._bulk:
            for term in counts:
                self._postings.setdefault(term, {})[doc] = 0.0  # weighed when the bulk ends
            self._unweighed.append(doc)
        elif not self._refresh_if_drifted():
            for term, tf in counts.items():
                self._postings.setdefault(term, {})[doc] = self._weight(tf, length)

    @contextmanager
    def bulk(self) -> Iterator[None]:
        """Many documents added at once (a start): their postings are weighed at the end, and
        the whole index only if the average length drifted meanwhile (adding one by one
        re-weighed everything each time it drifted: over and over while an index fills)."""
        if self._bulk:
            yield
            return
        self._bulk = True
        try:
            yield
        finally:
            self._bulk = False
            added, self._unweighed = self._unweighed, []
            if not self._refresh_if_drifted():
                for doc in added:
                    counts = self._terms.get(doc)
                    if counts is None:
                        continue  # removed again within the bulk
                    length = self._lengths[doc]
                    for term, tf in counts.items():
                        self._postings[term][doc] = self._weight(tf, length)

    def remove(self, doc: int) -> None:
        """Forget one document; unknown ids are ignored."""
        counts = self._terms.pop(doc, None)
        if counts is None:
            return
        self._total_length -= self._lengths.pop(doc)
        for term in counts:
            posting = self._postings[term]
            del posting[doc]
            if not posting:
                del self._postings[term]
        self._refresh_if_drifted()

    def idf(self, term: str) -> float:
        """Okapi idf with the +1 that keeps it positive; unseen terms get the maximum."""
        df = len(self._postings.get(term, ()))
        n = len(self._terms)
        return math.log(1.0 + (n - df + 0.5) / (df + 0.5))

    def search(self, terms: Iterable[str]) -> dict[int, float]:
        """BM25 scores of documents sharing a term with `terms`; common terms only re-rank."""
        postings = [(p, self.idf(t)) for t in dict.fromkeys(terms) if (p := self._postings.get(t))]
        postings.sort(key=lambda item: len(item[0]))
        scores: dict[int, float] = {}
        budget = _POSTING_BUDGET
        rest = 0
        for posting, idf in postings:
            if scores and len(posting) > budget:
                break
            budget -= len(posting)
            rest += 1
            if not scores:
                # The rarest term seeds the scores in one comprehension, much cheaper than a loop.
                scores = {doc: idf * weight for doc, weight in posting.items()}
                continue
            get = scores.get
            for doc, weight in posting.items():
                scores[doc] = get(doc, 0.0) + idf * weight
        if rest < len(postings):
            # Why: stop-word-like terms touch thousands of documents but can only reorder the
            # ones the rarer terms found, so they score just the best of those (impact order).
            pool = top_ids(scores, _COMMON_POOL)
            for posting, idf in postings[rest:]:
                for doc in pool:
                    if doc in posting:
                        scores[doc] += idf * posting[doc]
        return scores

    def _weight(self, tf: int, length: int) -> float:
        norm = 1.0 - self._b + self._b * length / self._weighted_avgdl
        return tf * (self._k1 + 1.0) / (tf + self._k1 * norm)

    def _refresh_if_drifted(self) -> bool:
        if not self._terms:
            return False
        if self._bulk:
            return False
        avgdl = max(self._total_length / len(self._terms), 1.0)
        if abs(avgdl - self._weighted_avgdl) <= _AVGDL_DRIFT * self._weighted_avgdl:
            return False
        self._refresh(avgdl)
        return True

    def _refresh(self, avgdl: float) -> None:
        """Weigh every posting again for the average document length `avgdl`."""
        self._weighted_avgdl = avgdl
        for doc, counts in self._terms.items():
            length = self._lengths[doc]
            for term, tf in counts.items():
                self._postings.setdefault(term, {})[doc] = self._weight(tf, length)


def top_ids(scores: dict[int, float], limit: int) -> list[int]:
    """The ids of the `limit` highest scores (tuples compare in C, faster than a key function)."""
    return [doc for _, doc in heapq.nlargest(limit, zip(scores.values(), scores, strict=True))]
