"""FAQ matching: an index over FAQ phrasings that ranks candidates for a question.

A score at or above ANSWER_THRESHOLD is answered directly, one between SUGGEST_THRESHOLD and
ANSWER_THRESHOLD is offered as "did you mean", and anything lower goes to a human.
"""

from __future__ import annotations

from bot.matching.document import Candidate, FaqDocument
from bot.matching.matcher import Matcher, Weights
from bot.matching.normalize import normalize

ANSWER_THRESHOLD = 0.6
SUGGEST_THRESHOLD = 0.4

__all__ = [
    "ANSWER_THRESHOLD",
    "SUGGEST_THRESHOLD",
    "Candidate",
    "FaqDocument",
    "Matcher",
    "Weights",
    "normalize",
]
