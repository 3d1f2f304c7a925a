"""What the matcher is given of an FAQ (it returns bot.core.faq.Candidate)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FaqDocument:
    """What the matcher knows of one FAQ."""

    faq_id: str
    phrasings: tuple[str, ...]
    keywords: tuple[str, ...] = ()
    negatives: tuple[str, ...] = ()

