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


def test_a_bilingual_faq_is_judged_by_its_centroid_in_the_query_script() -> None:
    english = [["lost", "my", "card"], ["card", "stolen", "please", "block", "it"]]
    chinese = [["卡", "丢", "了"], ["卡", "被", "偷", "了"]]
    alone = CentroidIndex()
    alone.add("lost-card", chinese)
    alone.add("top-up", TOP_UP)
    both = CentroidIndex()
    both.add("lost-card", chinese + english)
    both.add("top-up", TOP_UP)
    query = ["卡", "丢", "了"]
    # English phrasings added to the FAQ must not dilute how well a Chinese question fits it.
    assert cosine(both, "lost-card", query) == pytest.approx(cosine(alone, "lost-card", query))


def test_word_forms_the_stemmer_keeps_apart_still_meet_through_trigrams() -> None:
    index = CentroidIndex()
    index.add("verify", [["verif", "ident"]])
    index.add("top-up", TOP_UP)
    assert cosine(index, "verify", ["verifi"]) > 0.0
    assert cosine(index, "top-up", ["verifi"]) == 0.0
