"""A light English suffix stemmer: enough to join plurals and tenses, not a full Porter."""

from __future__ import annotations

from functools import lru_cache

_VOWELS = frozenset("aeiouy")
# Words whose ending looks like a suffix but is not one.
_KEEP = frozenset(
    {"this", "his", "is", "was", "has", "yes", "bus", "gas", "plus", "bring", "thing"}
)


def _has_vowel(stem: str) -> bool:
    return any(char in _VOWELS for char in stem)


def _undouble(stem: str) -> str:
    # "stopped" -> "stopp" -> "stop", but keep "ll"/"ss"/"zz" ("fill", "pass").
    if len(stem) > 3 and stem[-1] == stem[-2] and stem[-1] not in "lsz":
        return stem[:-1]
    return stem


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """The stem of a lower-case English word; other words come back unchanged."""
    if len(word) <= 3 or word in _KEEP or not word.isascii() or not word.isalpha():
        return word
    if word.endswith("sses"):
        word = word[:-2]
    elif word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    if word.endswith("ing") and len(word) > 5 and _has_vowel(word[:-3]):
        word = _undouble(word[:-3])
    elif word.endswith("ied") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("ed") and len(word) > 4 and _has_vowel(word[:-2]):
        word = _undouble(word[:-2])
    elif word.endswith("ly") and len(word) > 5:
        word = word[:-2]
    if word.endswith("e") and len(word) > 4:
        # "charge"/"charged"/"charging" all end as "charg".
        word = word[:-1]
    return word
