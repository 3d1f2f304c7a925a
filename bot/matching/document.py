"""The matcher's value types: what it is given (FaqDocument) and what it returns (Candidate)."""

from __future__ import annotations

from dataclasses import dataclass, field


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
