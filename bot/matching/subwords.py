"""Character trigrams of English words, so related forms share features the stemmer misses."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

# Words this short already are about one trigram; their grams would only add noise.
_MIN_LENGTH = 4


@lru_cache(maxsize=65536)
def _trigrams(word: str) -> tuple[str, ...]:
    padded = f"<{word}>"
    # "#" keeps a gram from ever equalling a whole word ("#pin" is not the word "pin").
    return tuple(f"#{padded[i : i + 3]}" for i in range(len(padded) - 2))


def with_subwords(tokens: Iterable[str]) -> list[str]:
    """`tokens` followed by the trigrams of each alphabetic English token."""
    out = list(tokens)
    for token in tuple(out):
        if len(token) >= _MIN_LENGTH and token.isascii() and token.isalpha():
            out.extend(_trigrams(token))
    return out
