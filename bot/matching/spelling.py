"""Typo repair: map query words the index has never seen to the closest indexed word."""

from __future__ import annotations

from collections.abc import Callable

from rapidfuzz import fuzz, process

from bot.matching.tokens import is_word

# Short words have too many neighbours at one edit to guess safely.
_MIN_LENGTH = 4
_MIN_SIMILARITY = 80.0


class SpellingCorrector:
    """Closest-word lookup over the alphabetic vocabulary of an index, rebuilt lazily."""

    def __init__(self, vocabulary: Callable[[], list[str]]) -> None:
        self._vocabulary = vocabulary
        self._words: list[str] | None = None
        self._cache: dict[str, str | None] = {}

    def invalidate(self) -> None:
        """Forget the word list after the vocabulary changed."""
        self._words = None
        self._cache.clear()

    def correct(self, token: str) -> str | None:
        """The indexed word closest to an unknown `token`, or None if nothing is close."""
        if len(token) < _MIN_LENGTH or not is_word(token):
            return None
        if token in self._cache:
            return self._cache[token]
        if self._words is None:
            self._words = [word for word in self._vocabulary() if is_word(word)]
        match = process.extractOne(
            token, self._words, scorer=fuzz.ratio, score_cutoff=_MIN_SIMILARITY
        )
        found = None if match is None else str(match[0])
        if len(self._cache) < 10_000:
            self._cache[token] = found
        return found
