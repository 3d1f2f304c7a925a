"""Tokens for the lexical index: stemmed words for alphabetic text, characters for Chinese."""

from __future__ import annotations

import re

from bot.matching.stem import stem

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_RUNS = re.compile(rf"[{_CJK}]+|[^\W{_CJK}]+")
_CJK_RUN = re.compile(rf"[{_CJK}]")


def tokenize(normalized: str) -> list[str]:
    """Stemmed words, and single characters for Chinese runs (no segmenter)."""
    tokens: list[str] = []
    for run in _RUNS.findall(normalized):
        if _CJK_RUN.match(run):
            # Why not bigrams too: measured on xSID and ATEC DEV they cost 2-3 points of top-1
            # (most pairs in a question occur in no phrasing, which only sinks its scores), and
            # word order is left to the fuzzy component.
            tokens.extend(run)
        else:
            tokens.append(stem(run))
    return tokens


def is_word(token: str) -> bool:
    """True for an alphabetic word token that spelling correction may apply to."""
    return token.isascii() and token.isalpha()


def is_chinese(token: str) -> bool:
    """True for a Chinese character token (tokenize makes one per character of a Chinese run)."""
    return _CJK_RUN.match(token) is not None
