"""The keyword index finds exactly the FAQs whose keywords a question holds."""

from __future__ import annotations

from bot.matching.keywords import KeywordIndex


def index_of(**keywords: tuple[str, ...]) -> KeywordIndex:
    index = KeywordIndex()
    for faq_id, words in keywords.items():
        index.add(faq_id, words)
    return index


def test_a_spaced_keyword_counts_only_as_whole_words() -> None:
    index = index_of(refund=("money back",), cards=("card",))
    assert index.found_in(" i want my money back now ") == {"refund"}
    assert index.found_in(" my cards are gone ") == set()
    assert index.found_in(" card ") == {"cards"}


def test_a_chinese_keyword_counts_anywhere_and_nested_ones_all_count() -> None:
    index = index_of(fee=("运费",), insurance=("运费险",), money=("钱",))
    assert index.found_in(" 请问运费险怎么买 ") == {"fee", "insurance"}
    assert index.found_in(" 多少钱 ") == {"money"}
    assert index.found_in(" 你好 ") == set()


def test_overlapping_and_repeated_keywords_are_all_found() -> None:
    index = index_of(a=("退款",), b=("款到",), c=("refund", "money"))
    assert index.found_in(" 退款到账 refund money ") == {"a", "b", "c"}


def test_removing_an_faq_forgets_only_its_keywords() -> None:
    index = index_of(first=("运费",), second=("运费", "快递"))
    index.remove("first", ("运费",))
    assert index.found_in(" 运费 ") == {"second"}
    index.remove("second", ("运费", "快递"))
    assert index.found_in(" 运费快递 ") == set()
