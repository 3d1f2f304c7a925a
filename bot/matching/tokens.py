"""Tokens for the lexical index: stemmed words for alphabetic text, n-grams for Chinese."""

from __future__ import annotations

import re

from bot.matching.stem import stem

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_RUNS = re.compile(rf"[{_CJK}]+|[^\W{_CJK}]+")
_CJK_RUN = re.compile(rf"[{_CJK}]")


def tokenize(normalized: str) -> list[str]:
    """Stemmed words, plus character unigrams and bigrams for Chinese runs (no segmenter)."""
    tokens: list[str] = []
    for run in _RUNS.findall(normalized):
        if _CJK_RUN.match(run):
            tokens.extend(run)
            tokens.extend(run[i : i + 2] for i in range(len(run) - 1))
        else:
            tokens.append(stem(run))
    return tokens


def is_word(token: str) -> bool:
    """True for an alphabetic word token that spelling correction may apply to."""
    return token.isascii() and token.isalpha()
