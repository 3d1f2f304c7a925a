"""BM25 weights: a bulk load weighs once with the true average; an edit weighs only itself."""

from __future__ import annotations

import random

from bot.matching.bm25 import Bm25Index


def documents(count: int) -> list[list[str]]:
    rng = random.Random(7)
    return [[rng.choice("abcdefghij") for _ in range(rng.randint(2, 9))] for _ in range(count)]


def test_a_bulk_load_weighs_every_posting_with_the_true_average_length() -> None:
    texts = documents(300)
    index = Bm25Index()
    with index.bulk():
        for number, tokens in enumerate(texts):
            index.add(number, tokens)
    average = sum(len(tokens) for tokens in texts) / len(texts)
    for number, tokens in enumerate(texts):
        for term in set(tokens):
            expected = index._weight(tokens.count(term), len(tokens))
            assert index._postings[term][number] == expected
    assert index._weighted_avgdl == average


def test_an_edit_in_a_bulk_weighs_only_what_it_adds() -> None:
    index = Bm25Index()
    with index.bulk():
        for number, tokens in enumerate(documents(300)):
            index.add(number, tokens)
    before = {term: dict(posting) for term, posting in index._postings.items()}
    with index.bulk():
        index.add(1000, ["a", "b", "c"])
        index.add(1001, ["a"])
        index.remove(1001)  # added and removed again within the bulk
    assert index._postings["a"][1000] == index._weight(1, 3)
    assert 1001 not in index._postings["a"]
    for term, posting in before.items():
        for number, weight in posting.items():
            assert index._postings[term][number] == weight
    assert index.search(["a", "b"])[1000] > 0
