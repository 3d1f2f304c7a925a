"""English stemming for the lexical index: the Porter algorithm (snowballstemmer), memoised."""

from __future__ import annotations

from functools import lru_cache

import snowballstemmer

# Measured on Banking77/CLINC150 DEV against our earlier suffix stripper: +0.3-0.9 points top-1,
# from joining the derivational forms that stripper left apart ("activation"/"activate",
# "withdrawal"/"withdraw").
_PORTER = snowballstemmer.stemmer("porter")


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """The stem of a lower-case English word; other words come back unchanged."""
    # Short words too: "pay" must meet "pays" (Porter: "pai") on the same stem.
    if not word.isascii() or not word.isalpha():
        return word
    return str(_PORTER.stemWord(word))
