"""The Matcher: incremental lexical indexes plus fuzzy re-ranking, keywords and negatives."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz

from bot.core.faq import Candidate
from bot.core.normalize import normalize
from bot.matching.bm25 import Bm25Index, top_ids
from bot.matching.centroid import CentroidIndex
from bot.matching.document import FaqDocument
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
        self._keyworded: set[str] = set()
        self._phrasings: dict[int, _Phrasing] = {}
        self._by_phrasing = Bm25Index()
        self._by_faq = Bm25Index()
        self._centroids = CentroidIndex()
        self._spelling = SpellingCorrector(lambda: list(self._by_phrasing.vocabulary))
        self._next_id = 0
        for document in documents:
            self.upsert(document)

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
        if keywords:
            self._keyworded.add(document.faq_id)
        self._entries[document.faq_id] = _Entry(
            document, number, tuple(phrasing_ids), keywords, negatives
        )
        self._spelling.invalidate()

    def remove(self, faq_id: str) -> None:
        """Forget one FAQ; unknown ids are ignored."""
        entry = self._entries.pop(faq_id, None)
        if entry is None:
            return
        self._keyworded.discard(faq_id)
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

    def search(self, query: str, limit: int = 5) -> list[Candidate]:
        """The best `limit` FAQs for `query`, best first."""
        text = normalize(query)
        if not text or not self._entries or limit <= 0:
            return []
        terms = self._query_terms(tokenize(text))
        by_phrasing = self._by_phrasing.search(terms)
        by_faq = self._by_faq.search(terms)
        phrasing_norm = _self_score(self._by_phrasing, terms)
        faq_norm = _self_score(self._by_faq, terms)
        centroid_query = self._centroids.query_weights(terms)
        weights = self._weights
        pool = top_ids(by_phrasing, weights.phrasing_pool)
        candidates: dict[str, list[int]] = {}
        for phrasing_id in pool:
            candidates.setdefault(self._phrasings[phrasing_id].faq_id, []).append(phrasing_id)
        for number in top_ids(by_faq, weights.faq_pool):
            candidates.setdefault(self._faq_ids[number], [])
        padded = f" {text} "
        for faq_id in self._keyworded:
            if any(_has_keyword(padded, k) for k in self._entries[faq_id].keywords):
                candidates.setdefault(faq_id, [])
        results = []
        for faq_id, pooled in candidates.items():
            candidate = self._score(
                text,
                padded,
                faq_id,
                pooled,
                by_phrasing,
                by_faq,
                phrasing_norm,
                faq_norm,
                centroid_query,
            )
            if candidate is not None:
                results.append(candidate)
        results.sort(key=lambda candidate: candidate.score, reverse=True)
        return results[:limit]

    def _score(
        self,
        text: str,
        padded: str,
        faq_id: str,
        pooled: list[int],
        by_phrasing: dict[int, float],
        by_faq: dict[int, float],
        phrasing_norm: float,
        faq_norm: float,
        centroid_query: tuple[dict[str, float], float],
    ) -> Candidate | None:
        weights = self._weights
        entry = self._entries[faq_id]
        # The pool holds the best phrasings overall, so its maximum is the FAQ's maximum; an FAQ
        # found only by the FAQ index or a keyword is judged on its first few phrasings, to
        # bound the cost on FAQs with hundreds of them.
        source = pooled or entry.phrasing_ids[: weights.unpooled_phrasings]
        lexical = max((by_phrasing.get(pid, 0.0) for pid in source), default=0.0)
        fuzzy, best_id = 0.0, None
        for phrasing_id in source:
            similarity = fuzz.ratio(text, self._phrasings[phrasing_id].normalized) / 100.0
            if similarity > fuzzy or best_id is None:
                fuzzy, best_id = similarity, phrasing_id
        negative = max((fuzz.ratio(text, n) / 100.0 for n in entry.negatives), default=0.0)
        if negative >= weights.negative_drop and negative > fuzzy:
            return None
        keyword = 1.0 if any(_has_keyword(padded, k) for k in entry.keywords) else 0.0
        # How nearly the whole question is one phrasing or keyword: short messages are answered
        # only when this is high ("运费" is a keyword; "ok" is nobody's phrasing).
        exact = max((fuzz.ratio(text, k) / 100.0 for k in entry.keywords), default=0.0)
        # A query that is one of the FAQ's phrasings is as typical of it as it gets, so an exact
        # match still scores 1.0 however varied the other phrasings are.
        centroid = 1.0 if fuzzy == 1.0 else self._centroids.cosine(faq_id, *centroid_query)
        components = {
            "phrasing": min(lexical / phrasing_norm, 1.0) if phrasing_norm else 0.0,
            "faq": min(by_faq.get(entry.number, 0.0) / faq_norm, 1.0) if faq_norm else 0.0,
            "fuzzy": fuzzy,
            "keyword": keyword,
            "centroid": centroid,
            "negative": negative,
            "exact": max(fuzzy, exact),
        }
        score = (
            weights.phrasing * components["phrasing"]
            + weights.faq * components["faq"]
            + weights.fuzzy * fuzzy
            + weights.keyword * keyword
            + weights.centroid * centroid
        )
        phrasing = self._phrasings[best_id].text if best_id is not None else ""
        return Candidate(faq_id, min(score, 1.0), phrasing, components)

    def _query_terms(self, tokens: list[str]) -> list[str]:
        """Distinct query terms, typos repaired, the most informative few for long queries."""
        terms = set()
        for token in tokens:
            if not self._by_phrasing.has_term(token):
                token = self._spelling.correct(token) or token
            terms.add(token)
        if len(terms) <= self._weights.query_terms:
            return list(terms)
        # A long complaint's rarest terms carry its meaning; its common ones cost the most time.
        return sorted(terms, key=self._by_phrasing.idf, reverse=True)[: self._weights.query_terms]

    def _new_id(self) -> int:
        self._next_id += 1
        return self._next_id


def _self_score(index: Bm25Index, terms: list[str]) -> float:
    """What a document holding each query term once, at average length, would score."""
    return sum(index.idf(term) for term in set(terms))


def _has_keyword(padded_text: str, keyword: str) -> bool:
    """Whole-word containment for spaced scripts; plain containment for Chinese."""
    if keyword.isascii():
        return f" {keyword} " in padded_text
    return keyword in padded_text
