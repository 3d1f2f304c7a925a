"""The Matcher: incremental lexical indexes plus fuzzy re-ranking, keywords and negatives."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import repeat

from rapidfuzz import fuzz
from rapidfuzz.process import extractOne

from bot.core.faq import Candidate
from bot.core.normalize import normalize
from bot.matching.bm25 import Bm25Index, top_ids
from bot.matching.centroid import CentroidIndex
from bot.matching.document import FaqDocument
from bot.matching.keywords import KeywordIndex
from bot.matching.spelling import SpellingCorrector
from bot.matching.tokens import tokenize


@dataclass(frozen=True, slots=True)
class Weights:
    """How the score components are mixed; the defaults are tuned on the DEV sets."""

    phrasing: float = 0.2
    faq: float = 0.3
    fuzzy: float = 0.2
    keyword: float = 0.15
    # Cosine to the FAQ's centroid, idf over FAQs: rewards terms that set this FAQ apart.
    centroid: float = 0.3
    # A query at least this close to a negative example (and closer than to any phrasing)
    # never matches that FAQ.
    negative_drop: float = 0.85
    phrasing_pool: int = 32
    faq_pool: int = 12
    unpooled_phrasings: int = 16
    query_terms: int = 32


@dataclass(frozen=True, slots=True)
class _Phrasing:
    faq_id: str
    text: str
    normalized: str


@dataclass(frozen=True, slots=True)
class _Query:
    """One search's question and lexical scores, shared by every candidate it scores."""

    text: str
    keyworded: set[str]
    by_phrasing: dict[int, float]
    by_faq: dict[int, float]
    phrasing_norm: float
    faq_norm: float
    centroid: tuple[dict[str, float], float]
    # A candidate whose lexical components fall short of this cannot reach the caller's floor.
    lexical_floor: float


@dataclass(frozen=True, slots=True)
class _Entry:
    document: FaqDocument
    number: int
    phrasing_ids: tuple[int, ...]
    keywords: tuple[str, ...]
    negatives: tuple[str, ...]


class Matcher:
    """Ranks FAQs for a question; every edit updates the indexes in place."""

    def __init__(
        self, documents: Iterable[FaqDocument] = (), weights: Weights | None = None
    ) -> None:
        self._weights = weights or Weights()
        self._entries: dict[str, _Entry] = {}
        self._faq_ids: dict[int, str] = {}
        self._keywords = KeywordIndex()
        self._phrasings: dict[int, _Phrasing] = {}
        self._by_phrasing = Bm25Index()
        self._by_faq = Bm25Index()
        self._centroids = CentroidIndex()
        self._spelling = SpellingCorrector(lambda: list(self._by_phrasing.vocabulary))
        self._next_id = 0
        with self.bulk():
            for document in documents:
                self.upsert(document)

    @contextmanager
    def bulk(self) -> Iterator[None]:
        """Many edits at once (a start, a KB import): the indexes are weighed once, at the end."""
        with self._by_phrasing.bulk(), self._by_faq.bulk():
            yield

    def __len__(self) -> int:
        return len(self._entries)

    def upsert(self, document: FaqDocument) -> None:
        """Add or replace one FAQ."""
        self.remove(document.faq_id)
        phrasing_ids = []
        faq_tokens: list[str] = []
        phrasing_tokens: list[list[str]] = []
        for text in document.phrasings:
            normalized = normalize(text)
            if not normalized:
                continue
            phrasing_id = self._new_id()
            tokens = tokenize(normalized)
            self._phrasings[phrasing_id] = _Phrasing(document.faq_id, text, normalized)
            self._by_phrasing.add(phrasing_id, tokens)
            phrasing_ids.append(phrasing_id)
            faq_tokens.extend(tokens)
            phrasing_tokens.append(tokens)
        keywords = tuple(k for k in (normalize(word) for word in document.keywords) if k)
        for keyword in keywords:
            faq_tokens.extend(tokenize(keyword))
        number = self._new_id()
        self._by_faq.add(number, faq_tokens)
        self._faq_ids[number] = document.faq_id
        self._centroids.add(document.faq_id, phrasing_tokens)
        negatives = tuple(n for n in (normalize(text) for text in document.negatives) if n)
        self._keywords.add(document.faq_id, keywords)
        self._entries[document.faq_id] = _Entry(
            document, number, tuple(phrasing_ids), keywords, negatives
        )
        self._spelling.invalidate()

    def remove(self, faq_id: str) -> None:
        """Forget one FAQ; unknown ids are ignored."""
        entry = self._entries.pop(faq_id, None)
        if entry is None:
            return
        self._keywords.remove(faq_id, entry.keywords)
        for phrasing_id in entry.phrasing_ids:
            self._by_phrasing.remove(phrasing_id)
            del self._phrasings[phrasing_id]
        self._by_faq.remove(entry.number)
        del self._faq_ids[entry.number]
        self._centroids.remove(faq_id)
        self._spelling.invalidate()

    def is_blocked(self, query: str, faq_id: str) -> bool:
        """True if `query` is about as close to a negative example of `faq_id` as it gets."""
        entry = self._entries.get(faq_id)
        text = normalize(query)
        if entry is None or not entry.negatives or not text:
            return False
        negative = max(fuzz.ratio(text, n) / 100.0 for n in entry.negatives)
        if negative < self._weights.negative_drop:
            return False
        return all(
            fuzz.ratio(text, self._phrasings[pid].normalized) / 100.0 < negative
            for pid in entry.phrasing_ids
        )

    def search(self, query: str, limit: int = 5, floor: float = 0.0) -> list[Candidate]:
        """The best `limit` FAQs for `query`, best first; with `floor`, only those that may
        score at least that (the caller has a bar to clear: the rest are not worth scoring)."""
        text = normalize(query)
        if not text or not self._entries or limit <= 0:
            return []
        terms = self._query_terms(tokenize(text))
        by_phrasing = self._by_phrasing.search(terms)
        weights = self._weights
        pool = top_ids(by_phrasing, weights.phrasing_pool)
        candidates: dict[str, list[int]] = {}
        phrasings = self._phrasings
        for phrasing_id in pool:
            candidates.setdefault(phrasings[phrasing_id].faq_id, []).append(phrasing_id)
        by_faq = self._by_faq.search(terms)
        for number in top_ids(by_faq, weights.faq_pool):
            candidates.setdefault(self._faq_ids[number], [])
        keyworded = self._keywords.found_in(f" {text} ")
        for faq_id in sorted(keyworded):
            candidates.setdefault(faq_id, [])
        if not candidates:
            return []
        found = _Query(
            text, keyworded, by_phrasing, by_faq, _self_score(self._by_phrasing, terms),
            _self_score(self._by_faq, terms), self._centroids.query_weights(terms),
            # Scores only rise by the fuzzy and centroid components after the lexical ones; a
            # hair of slack keeps rounding from dropping a candidate exactly at the floor.
            floor - weights.fuzzy - weights.centroid - 1e-9,
        )
        results = []
        for faq_id, pooled in candidates.items():
            candidate = self._score(found, faq_id, pooled)
            if candidate is not None:
                results.append(candidate)
        results.sort(key=lambda candidate: candidate.score, reverse=True)
        return results[:limit]

    def _score(self, query: _Query, faq_id: str, pooled: list[int]) -> Candidate | None:
        weights = self._weights
        entry = self._entries[faq_id]
        # The pool holds the best phrasings overall, so its maximum is the FAQ's maximum; an FAQ
        # found only by the FAQ index or a keyword is judged on its first few phrasings, to
        # bound the cost on FAQs with hundreds of them.
        source = pooled or entry.phrasing_ids[: weights.unpooled_phrasings]
        lexical = max(map(query.by_phrasing.get, source, repeat(0.0)), default=0.0)
        phrasing = min(lexical / query.phrasing_norm, 1.0) if query.phrasing_norm else 0.0
        faq = 0.0
        if query.faq_norm:
            faq = min(query.by_faq.get(entry.number, 0.0) / query.faq_norm, 1.0)
        keyword = 1.0 if faq_id in query.keyworded else 0.0
        lexical_part = weights.phrasing * phrasing + weights.faq * faq + weights.keyword * keyword
        if lexical_part < query.lexical_floor:
            return None
        text = query.text
        # In C over every phrasing at once: the first of the closest, as a loop would keep.
        best = extractOne(
            text, [self._phrasings[pid].normalized for pid in source], scorer=fuzz.ratio,
            processor=None,
        )
        fuzzy = best[1] / 100.0 if best is not None else 0.0
        negative = 0.0
        if entry.negatives:
            closest = extractOne(text, entry.negatives, scorer=fuzz.ratio, processor=None)
            negative = closest[1] / 100.0 if closest is not None else 0.0
            if negative >= weights.negative_drop and negative > fuzzy:
                return None
        # How nearly the whole question is one phrasing or keyword: short messages are answered
        # only when this is high ("运费" is a keyword; "ok" is nobody's phrasing).
        exact = 0.0
        if entry.keywords:
            nearest = extractOne(text, entry.keywords, scorer=fuzz.ratio, processor=None)
            exact = nearest[1] / 100.0 if nearest is not None else 0.0
        # A query that is one of the FAQ's phrasings is as typical of it as it gets, so an exact
        # match still scores 1.0 however varied the other phrasings are.
        centroid = 1.0 if fuzzy == 1.0 else self._centroids.cosine(faq_id, *query.centroid)
        components = {
            "phrasing": phrasing,
            "faq": faq,
            "fuzzy": fuzzy,
            "keyword": keyword,
            "centroid": centroid,
            "negative": negative,
            "exact": max(fuzzy, exact),
        }
        score = (
            weights.phrasing * phrasing
            + weights.faq * faq
            + weights.fuzzy * fuzzy
            + weights.keyword * keyword
            + weights.centroid * centroid
        )
        shown = self._phrasings[source[best[2]]].text if best is not None else ""
        return Candidate(faq_id, min(score, 1.0), shown, components)

    def _query_terms(self, tokens: list[str]) -> list[str]:
        """Distinct query terms, typos repaired, the most informative few for long queries."""
        terms = set()
        for token in tokens:
            if not self._by_phrasing.has_term(token):
                token = self._spelling.correct(token) or token
            terms.add(token)
        if len(terms) <= self._weights.query_terms:
            # In a fixed order: float sums in a set's order would vary with the hash seed.
            return sorted(terms)
        # A long complaint's rarest terms carry its meaning; its common ones cost the most time.
        # Ties broken by the term itself: a set's order changes with each process's hash seed,
        # and the same question must get the same answer after a restart.
        idf = self._by_phrasing.idf
        ranked = sorted(terms, key=lambda term: (-idf(term), term))
        return ranked[: self._weights.query_terms]

    def _new_id(self) -> int:
        self._next_id += 1
        return self._next_id


def _self_score(index: Bm25Index, terms: list[str]) -> float:
    """What a document holding each query term once, at average length, would score."""
    return sum(index.idf(term) for term in dict.fromkeys(terms))
