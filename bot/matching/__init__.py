"""FAQ matching: an index over FAQ phrasings that ranks candidates for a question.

Answer when the top score is at least ANSWER_THRESHOLD and leads the runner-up by ANSWER_MARGIN;
otherwise offer "did you mean" down to SUGGEST_THRESHOLD; below that, hand over to a human.
"""

from __future__ import annotations

from bot.core.faq import Candidate
from bot.core.normalize import normalize
from bot.matching.document import FaqDocument
from bot.matching.matcher import Matcher, Weights

# Tuned on DEV only (benchmarks/faq_accuracy.py). At 0.38 CLINC150 k10 keeps 77.5% of in-scope
# queries right and sends 69% of out-of-scope ones to a human (0.42 would give 75% / 84%).
SUGGEST_THRESHOLD = 0.38
# Answers at or above 0.52 with a 0.05 lead over the runner-up were right 89% (Banking77, 56% of
# queries answered) / 92% (CLINC150, 65%) / 98% (xSID, 34%) of the time.
ANSWER_THRESHOLD = 0.52
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
