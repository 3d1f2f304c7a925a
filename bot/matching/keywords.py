"""Which FAQs' keywords a question holds, found in one pass over the question."""

from __future__ import annotations

from collections.abc import Iterable


def keyword_pattern(keyword: str) -> str:
    """What a normalised keyword must appear as in the padded question (`" text "`).

    A spaced-script keyword is a whole word, so it is looked for with a space either side;
    a Chinese one is any substring.
    """
    return f" {keyword} " if keyword.isascii() else keyword


class KeywordIndex:
    """Keyword patterns by their first two characters, so a question is scanned once.

    Why: testing every keyworded FAQ's keywords against each question cost a Python call per
    keyword and grew with the KB; here the cost is a dictionary lookup per character of the
    question plus one `startswith` per keyword sharing a prefix with it.
    """

    def __init__(self) -> None:
        self._patterns: dict[str, set[str]] = {}  # pattern → ids of the FAQs holding it
        self._by_prefix: dict[str, list[str]] | None = None
        self._singles: dict[str, set[str]] = {}

    def add(self, faq_id: str, keywords: Iterable[str]) -> None:
        """Index one FAQ's normalised keywords."""
        for keyword in keywords:
            self._patterns.setdefault(keyword_pattern(keyword), set()).add(faq_id)
        self._by_prefix = None

    def remove(self, faq_id: str, keywords: Iterable[str]) -> None:
        """Forget one FAQ's keywords."""
        for keyword in keywords:
            pattern = keyword_pattern(keyword)
            holders = self._patterns.get(pattern)
            if holders is not None:
                holders.discard(faq_id)
                if not holders:
                    del self._patterns[pattern]
        self._by_prefix = None

    def found_in(self, padded: str) -> set[str]:
        """Ids of the FAQs with a keyword in `padded` (the normalised question, space-padded)."""
        if self._by_prefix is None:
            self._build()
        assert self._by_prefix is not None
        found: set[str] = set()
        if self._singles:
            for character in set(padded) & self._singles.keys():
                found |= self._singles[character]
        by_prefix = self._by_prefix
        if not by_prefix:
            return found
        patterns = self._patterns
        for start in range(len(padded) - 1):
            bucket = by_prefix.get(padded[start : start + 2])
            if bucket is None:
                continue
            for pattern in bucket:
                if padded.startswith(pattern, start):
                    found |= patterns[pattern]
        return found

    def _build(self) -> None:
        by_prefix: dict[str, list[str]] = {}
        singles: dict[str, set[str]] = {}
        for pattern, holders in self._patterns.items():
            if len(pattern) == 1:
                singles[pattern] = holders
            else:
                by_prefix.setdefault(pattern[:2], []).append(pattern)
        self._by_prefix, self._singles = by_prefix, singles
