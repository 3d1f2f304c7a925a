"""Normalisation: width, case, script, punctuation and emoji fold; numbers stay."""

from __future__ import annotations

import pytest

from bot.core.normalize import normalize
from bot.matching.stem import stem
from bot.matching.tokens import tokenize


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ＲＥＳＥＴ　Ｐａｓｓｗｏｒｄ１２３", "reset password123"),
        ("How do I RESET my Password?!", "how do i reset my password"),
        ("會員積分怎麼查詢？", "会员积分怎么查询"),
        ("退款🙏🙏 到账了吗😊", "退款 到账了吗"),
        ("order #1234, 2 items", "order 1234 2 items"),
        ("I don't know", "i dont know"),
        ("   ", ""),
    ],
)
def test_normalize_folds(text: str, expected: str) -> None:
    assert normalize(text) == expected


def test_tokenize_chinese_uses_single_characters() -> None:
    assert tokenize("退款吗") == ["退", "款", "吗"]


def test_tokenize_mixed_script_keeps_numbers_and_stems_words() -> None:
    assert tokenize("2 cards 退款") == ["2", "card", "退", "款"]


@pytest.mark.parametrize(
    ("words", "shared"),
    [
        (("charge", "charged", "charges", "charging"), "charg"),
        (("transfer", "transfers", "transferred", "transferring"), "transfer"),
        (("card", "cards"), "card"),
        (("policy", "policies"), "polici"),
        (("pay", "pays", "paying"), "pai"),
        (("activate", "activated", "activation"), "activ"),
    ],
)
def test_stem_joins_inflections(words: tuple[str, ...], shared: str) -> None:
    assert {stem(word) for word in words} == {shared}
