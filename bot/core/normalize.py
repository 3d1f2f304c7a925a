"""Text folding shared by indexing and search: width, case, script, punctuation, emoji."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from bot.core.language import to_simplified

# Apostrophes join ("don't" -> "dont") so contractions stay one token.
_APOSTROPHES = re.compile(r"['’‘`´]")
# Anything that is not a letter or digit (punctuation, symbols, emoji) becomes a space.
_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)


# Remembered: a message is folded by each matcher that reads it (FAQs, then small talk).
@lru_cache(maxsize=4096)
def normalize(text: str) -> str:
    """Fold width, case, traditional Chinese, punctuation and emoji; keep letters and digits."""
    folded = unicodedata.normalize("NFKC", text)
    folded = to_simplified(folded).casefold()
    folded = _APOSTROPHES.sub("", folded)
    return _NON_WORD.sub(" ", folded).strip()
