"""FAQ matching: an index over FAQ phrasings that ranks candidates for a question.

Answer when the top score is at least ANSWER_THRESHOLD and leads the runner-up by ANSWER_MARGIN;
otherwise offer "did you mean" down to SUGGEST_THRESHOLD; below that, hand over to a human.
"""

from __future__ import annotations

from bot.matching.document import Candidate, FaqDocument
from bot.matching.matcher import Matcher, Weights
from bot.matching.normalize import normalize

# Tuned on DEV only (benchmarks/faq_accuracy.py). At 0.42 CLINC150 k10 keeps 78% of in-scope
# queries right and sends 48% of out-of-scope ones to a human.
SUGGEST_THRESHOLD = 0.42
# Answers at or above 0.6 were right 75% (Banking77) / 86% (CLINC150) / 98% (xSID) of the time;
# also asking for a 0.05 lead over the runner-up lifts that to 85% / 92% / 98%.
ANSWER_THRESHOLD = 0.6
ANSWER_MARGIN = 0.05

__all__ = [
    "ANSWER_MARGIN",
    "ANSWER_THRESHOLD",
    "SUGGEST_THRESHOLD",
    "Candidate",
    "FaqDocument",
    "Matcher",
    "Weights",
    "normalize",
]
