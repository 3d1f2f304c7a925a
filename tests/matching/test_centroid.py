"""CentroidIndex: FAQ-level distinctiveness, and edits that leave no trace."""

from __future__ import annotations

import pytest

from bot.matching.centroid import CentroidIndex

CARDS = [["card", "lost"], ["lost", "my", "card"], ["card", "stolen"]]
TOP_UP = [["top", "up", "card"], ["top", "up", "fail"]]


@pytest.fixture
def index() -> CentroidIndex:
    built = CentroidIndex()
    built.add("lost-card", CARDS)
    built.add("top-up", TOP_UP)
    return built


def cosine(index: CentroidIndex, faq_id: str, terms: list[str]) -> float:
    return index.cosine(faq_id, *index.query_weights(terms))


def test_distinctive_terms_pick_their_faq(index: CentroidIndex) -> None:
    assert cosine(index, "lost-card", ["lost", "card"]) > cosine(index, "top-up", ["lost", "card"])
    assert cosine(index, "top-up", ["top", "up"]) > cosine(index, "lost-card", ["top", "up"])


def test_a_term_in_every_faq_weighs_less_than_a_rare_one(index: CentroidIndex) -> None:
    assert index.idf("card") < index.idf("stolen")


def test_cosine_stays_in_unit_range(index: CentroidIndex) -> None:
    for terms in (["card"], ["lost", "card", "stolen", "my"], ["unknown"], []):
        for faq_id in ("lost-card", "top-up", "missing"):
            assert 0.0 <= cosine(index, faq_id, terms) <= 1.0 + 1e-9


def test_remove_and_replace_equal_a_fresh_build(index: CentroidIndex) -> None:
    index.add("temporary", [["card", "pin"]])
    index.remove("temporary")
    index.remove("never-added")
    index.add("top-up", [["anything"]])
    index.add("top-up", TOP_UP)
    fresh = CentroidIndex()
    fresh.add("lost-card", CARDS)
    fresh.add("top-up", TOP_UP)
    for terms in (["card"], ["top", "up", "card"], ["pin"]):
        assert index.idf(terms[0]) == fresh.idf(terms[0])
        for faq_id in ("lost-card", "top-up", "temporary"):
            assert cosine(index, faq_id, terms) == cosine(fresh, faq_id, terms)


def test_faq_without_tokens_is_not_indexed() -> None:
    index = CentroidIndex()
    index.add("empty", [])
    assert cosine(index, "empty", ["card"]) == 0.0
