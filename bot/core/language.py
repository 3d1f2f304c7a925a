"""Which language a customer writes in, and serving traditional Chinese from simplified text."""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

from opencc import OpenCC

HANS = "zh-Hans"
HANT = "zh-Hant"
ENGLISH = "en"

SAMPLE_CHARS = 2000  # enough text to tell the language; a longer one would only cost time
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]")
# Order numbers, tracking numbers, emails, /commands and referral codes (ref_…) are not words:
# they say nothing about the language a customer writes in. Found word by word, never with a
# pattern like \S*\d\S* that backtracks over a long unspaced text (quadratic time).
_CODE_MARK = re.compile(r"[\d@]")
_REFERRAL = re.compile(r"(?<![A-Za-z])ref_\w+", re.IGNORECASE)


@lru_cache(maxsize=1)
def _to_simplified() -> OpenCC:
    return OpenCC("t2s")


@lru_cache(maxsize=1)
def _to_traditional() -> OpenCC:
    return OpenCC("s2t")


@lru_cache(maxsize=1)
def _conversions() -> tuple[frozenset[str], dict[str, tuple[str, ...]]] | None:
    """What t2s can change: the characters it converts, and for characters it keeps on their
    own, the phrases that convert them ("覆" stays, "回覆" becomes "回复"); None when the
    installed converter's dictionaries cannot be read (then every text is converted)."""
    try:
        folder = resources.files("opencc") / "dictionary"
        characters = (folder / "TSCharacters.txt").read_text(encoding="utf-8")
        phrases = (folder / "TSPhrases.txt").read_text(encoding="utf-8")
    except (OSError, ModuleNotFoundError):
        return None
    changed = set()
    for line in characters.splitlines():
        source, _, targets = line.partition("\t")
        if targets and targets.split(" ")[0] != source:
            changed.add(source)
    kept: dict[str, list[str]] = {}
    for line in phrases.splitlines():
        source, _, targets = line.partition("\t")
        target = targets.split(" ")[0]
        if not target or target == source:
            continue
        moved = set(source) if len(target) != len(source) else {
            old for old, new in zip(source, target, strict=True) if old != new
        }
        for character in moved - changed:
            kept.setdefault(character, []).append(source)
    return frozenset(changed), {key: tuple(found) for key, found in kept.items()}


def _unchanged_by_t2s(text: str) -> bool:
    """True when t2s would return `text` as it is: no character it converts, no phrase.

    Why: the converter is pure Python (tens of microseconds a text, most of a KB's load
    time), and most Chinese a bot reads is simplified already.
    """
    conversions = _conversions()
    if conversions is None:
        return False
    changed, phrases = conversions
    present = set(text)
    if not changed.isdisjoint(present):
        return False
    return not any(
        phrase in text for character in present & phrases.keys() for phrase in phrases[character]
    )


@lru_cache(maxsize=4096)
def to_simplified(text: str) -> str:
    """Traditional Chinese characters converted to simplified; everything else kept."""
    if not _HAN.search(text) or _unchanged_by_t2s(text):
        return text
    return str(_to_simplified().convert(text))


@lru_cache(maxsize=4096)
def to_traditional(text: str) -> str:
    """Simplified Chinese converted to traditional; everything else kept."""
    return str(_to_traditional().convert(text)) if _HAN.search(text) else text


def detect_language(text: str, default: str = HANS) -> str:
    """zh-Hant, zh-Hans or en, judged from the characters of `text`; `default` if unsure."""
    text = _without_codes(text[:SAMPLE_CHARS])
    han = _HAN.findall(text)
    if han:
        chars = "".join(han)
        return HANT if to_simplified(chars) != chars else HANS
    if _LATIN.search(text):
        return ENGLISH
    return default


def _without_codes(text: str) -> str:
    """The words of `text`, codes left out (time linear in the length of the text)."""
    words = [
        _REFERRAL.sub(" ", word) for word in text.split()
        if not word.startswith("/") and _CODE_MARK.search(word) is None
    ]
    return " ".join(words)


def base_language(language: str) -> str:
    """The language a text is stored in: traditional Chinese is served from simplified."""
    return HANS if language == HANT else language


def localize(texts: dict[str, str], language: str) -> str:
    """Pick the text for `language`, converting simplified to traditional when needed."""
    if language in texts:
        return texts[language]
    if language == HANT and HANS in texts:
        return to_traditional(texts[HANS])
    for fallback in (ENGLISH, HANS):
        if fallback in texts:
            return texts[fallback]
    return next(iter(texts.values()), "")
