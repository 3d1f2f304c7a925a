"""Small talk recognised by covering a message with known phrases ("ok thanks bye", "亲在吗").

A message is small talk when its words (Latin script) and characters (Chinese), after folding,
can be covered end to end by small-talk phrasings and filler words, with at least one
phrasing among them. A question wrapped in small talk ("你好，请问多久发货呀谢谢") keeps its
middle part as the question. Distress and complaint phrasings also count anywhere inside a
longer message: those customers must never get a plain FAQ answer instead.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rapidfuzz import process
from rapidfuzz.distance import OSA

from bot.core.language import to_simplified

# Found anywhere in a message, not only as the whole of it.
ANYWHERE = ("distress", "complaint")
# When a message holds several moves ("ok thanks bye"), the reply answers the first of these.
PRIORITY = (
    "distress", "complaint", "insult", "bot", "thanks", "goodbye", "praise", "deny", "affirm",
    "acknowledge", "greeting", "laugh", "chitchat",
)
# Words that carry no move of their own: particles, forms of address, lead-ins. They may stand
# between or around phrasings ("thank you so much guys", "亲，在吗") but never make small talk
# alone. Multi-unit lead-ins ("请问", "i want to ask") may also end a stripped prefix.
_FILLER_WORDS = (
    "啊 呀 哦 噢 喔 哈 呢 吧 嘛 啦 了 的 哟 咯 呐 哇 嗷 额 呃 诶 欸 嘞 撒 捏 亲 您 你 你们 "
    "亲亲 亲爱的 客服 老板 掌柜 美女 帅哥 小姐姐 小哥哥 店家 宝 宝宝 大家 各位 请问 问一下 问下 "
    "我想问 我想问一下 想问一下 想问下 那个 就是 一下 很 真 太 非常 十分 特别 超 好多 多 这样 先 "
    "so very much lot lots a really just oh um uh umm hmm well guys dear sir madam mate buddy "
    "bot again there everyone team all you please pls too and for the your this that help "
    "man dude bro friend folks it its is was kind of me i im indeed totally"
)
FILLERS = tuple(_FILLER_WORDS.split())
# A Latin word this long or longer may be one typo away from a phrasing's word ("thnaks").
TYPO_LENGTH = 4
# Longest phrasing, in units, that the cover tries (longer phrasings are only found whole).
LONGEST = 12
# A message longer than this many units is no small talk as a whole, and its small talk is
# looked for only this far into each end (and typos are not repaired): it bounds the cost.
SHORT = 32
# Typo repairs remembered per recogniser (it is rebuilt whenever small talk is edited).
NEAREST_KEPT = 20_000

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_CHARACTER = re.compile(rf"[{_CJK}]")
_UNITS = re.compile(rf"[{_CJK}]|[^\W_]+|[^\w\s]", re.UNICODE)
_APOSTROPHES = re.compile(r"['’‘`´]")
_REPEATS = re.compile(r"([a-z])\1{2,}")
_DOUBLES = re.compile(r"([a-z])\1+")
# Skin tones, variation selectors and joiners change how an emoji looks, not what it says.
_EMOJI_MODIFIERS = re.compile("[\ufe0e\ufe0f\u200d\U0001f3fb-\U0001f3ff]")


def units(text: str) -> tuple[str, ...]:
    """A text as the recogniser reads it: Chinese characters, Latin words and emoji, folded."""
    folded = unicodedata.normalize("NFKC", text)
    folded = _EMOJI_MODIFIERS.sub("", to_simplified(folded).casefold())
    folded = _APOSTROPHES.sub("", folded)
    found = []
    for unit in _UNITS.findall(folded):
        if unit.isalpha() and unit.isascii():
            # "hiiii", "thanksss": a drawn-out word is still the word.
            unit = _REPEATS.sub(r"\1\1", unit)
        elif not unit.isalnum() and unicodedata.category(unit)[0] in "PZ":
            continue  # punctuation; emoji (category So) are kept
        found.append(unit)
    return tuple(found)


def join(parts: Sequence[str]) -> str:
    """Units back into text: Chinese characters side by side, words with spaces."""
    text = ""
    for unit in parts:
        if text and not (_is_cjk(unit) and _is_cjk(text[-1])):
            text += " "
        text += unit
    return text


def _is_cjk(text: str) -> bool:
    return bool(text) and _CJK_CHARACTER.match(text[0]) is not None


@dataclass(frozen=True, slots=True)
class SmallTalkEntry:
    """One small-talk entry as the recogniser needs it."""

    entry_id: str
    category: str
    phrasings: tuple[str, ...]
    negatives: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Reading:
    """What a message holds: the small-talk entries found in it and the question left over."""

    entries: tuple[str, ...]  # entry ids, in the order they occur
    categories: tuple[str, ...]  # their categories, same order
    question: str  # the part that is not small talk ("" when it is all small talk)
    anywhere: str | None = None  # an entry found inside a longer message (distress, complaint)

    @property
    def is_small_talk(self) -> bool:
        """True when the whole message is small talk."""
        return bool(self.entries) and not self.question

    @property
    def category(self) -> str | None:
        """The move the reply should answer, by PRIORITY."""
        return first_category(self.categories)

    @property
    def entry(self) -> str | None:
        """The entry of that category."""
        category = self.category
        if category is None:
            return None
        return self.entries[self.categories.index(category)]


def first_category(categories: Iterable[str]) -> str | None:
    """The category that comes first in PRIORITY (unknown ones last)."""
    present = list(categories)
    if not present:
        return None
    return min(present, key=lambda c: PRIORITY.index(c) if c in PRIORITY else len(PRIORITY))


@dataclass(frozen=True, slots=True)
class _Segment:
    start: int
    end: int
    entry: str | None  # None: a filler


class SmallTalkRecognizer:
    """Small-talk phrasings by their folded units, with the fillers that may surround them."""

    def __init__(self, entries: Iterable[SmallTalkEntry] = ()) -> None:
        self._phrases: dict[tuple[str, ...], str] = {}
        self._categories: dict[str, str] = {}
        self._negatives: dict[str, list[tuple[str, ...]]] = {}
        self._anywhere: list[tuple[tuple[str, ...], str]] = []
        self._words: set[str] = set()
        self._squeezed: dict[str, str] = {}  # a phrasing word with no letter doubled → the word
        self._nearest_known: dict[str, str] = {}  # a word not among them → its repair (or itself)
        self._fillers = {tuple(units(word)) for word in FILLERS}
        for entry in entries:
            self._add(entry)
        # Longest first, so that "谢谢你们" is found before "谢谢" when both are phrasings.
        self._anywhere.sort(key=lambda item: len(item[0]), reverse=True)

    def __len__(self) -> int:
        return len(self._categories)

    def _add(self, entry: SmallTalkEntry) -> None:
        self._categories[entry.entry_id] = entry.category
        self._negatives[entry.entry_id] = [units(n) for n in entry.negatives if units(n)]
        for phrasing in entry.phrasings:
            key = units(phrasing)
            if not key:
                continue
            self._phrases.setdefault(key, entry.entry_id)
            for unit in key:
                if unit.isascii() and unit.isalpha():
                    self._words.add(unit)
                    self._squeezed.setdefault(_DOUBLES.sub(r"\1", unit), unit)
            if entry.category == "distress" or (entry.category in ANYWHERE and len(key) >= 2):
                # One word ("terrible") is a complaint only as the whole message; "suicidal"
                # is distress wherever it stands.
                self._anywhere.append((key, entry.entry_id))

    def category(self, entry_id: str) -> str | None:
        """The category of an entry."""
        return self._categories.get(entry_id)

    def read(self, text: str) -> Reading:
        """The small talk in `text` and the question left when it is taken away."""
        found = units(text)
        if not found:
            return Reading((), (), "")
        anywhere = self._find_anywhere(found)
        if len(found) <= SHORT:
            found = self._spell(found)
            whole = self._cover(found, 0, len(found))
            if whole is not None and any(segment.entry for segment in whole):
                return self._reading(whole, (), anywhere)
        prefix = self._edge(found[:SHORT], leading=True)
        start = prefix[-1].end if prefix else 0
        rest = found[start:]
        tail = max(len(rest) - SHORT, 0)
        suffix = self._edge(rest[tail:], leading=False)
        end = start + tail + suffix[0].start if suffix else len(found)
        return self._reading([*prefix, *suffix], found[start:end], anywhere)

    def _reading(
        self, segments: Sequence[_Segment], rest: Sequence[str], anywhere: str | None
    ) -> Reading:
        entries = tuple(segment.entry for segment in segments if segment.entry)
        return Reading(
            entries,
            tuple(self._categories[entry] for entry in entries),
            join(rest),
            anywhere,
        )

    def _spell(self, found: tuple[str, ...]) -> tuple[str, ...]:
        """Latin words one typo away from a phrasing's word become that word."""
        if not self._words:
            return found
        fixed = []
        for unit in found:
            if unit.isascii() and unit.isalpha() and unit not in self._words:
                # "hii", "byee", "okk": letters held down too long.
                unit = self._squeezed.get(_DOUBLES.sub(r"\1", unit), unit)
            if (
                len(unit) >= TYPO_LENGTH and unit.isascii() and unit.isalpha()
                and unit not in self._words
            ):
                unit = self._nearest(unit)
            fixed.append(unit)
        return tuple(fixed)

    def _nearest(self, unit: str) -> str:
        """The phrasing word one typo from `unit` (the closest, then the first in order), or
        `unit`; remembered, as the same words come back in message after message."""
        known = self._nearest_known.get(unit)
        if known is not None:
            return known
        # One C loop over the words (rapidfuzz's extract) instead of one call a word.
        near = process.extract(unit, self._words, scorer=OSA.distance, score_cutoff=1, limit=None)
        found = min(((distance, word) for word, distance, _ in near), default=(0, unit))[1]
        if len(self._nearest_known) < NEAREST_KEPT:
            self._nearest_known[unit] = found
        return found

    def _find_anywhere(self, found: tuple[str, ...]) -> str | None:
        """A distress or complaint phrasing inside the message (not excused by a negative)."""
        present = set(found)
        for key, entry in self._anywhere:
            # Most keys start with a unit the message does not hold: skip the scan for those.
            if key and key[0] not in present:
                continue
            if _contains(found, key) and not any(
                _contains(found, negative) for negative in self._negatives[entry]
            ):
                return entry
        return None

    def _cover(self, found: Sequence[str], start: int, end: int) -> list[_Segment] | None:
        """Segments covering found[start:end] exactly, most units in phrasings; None if none."""
        last = self._covers(found, start, end)[end - start]
        return last[2] if last is not None else None

    def _covers(
        self, found: Sequence[str], start: int, end: int
    ) -> list[tuple[int, int, list[_Segment]] | None]:
        """For each k, the best cover of found[start:start + k] (what `_cover` picks for an
        end of start + k: a piece never reaches past the end it covers to)."""
        best: list[tuple[int, int, list[_Segment]] | None] = [None] * (end - start + 1)
        best[0] = (0, 0, [])
        for i in range(start, end):
            here = best[i - start]
            if here is None:
                continue
            for j in range(i + 1, min(end, i + LONGEST) + 1):
                piece = tuple(found[i:j])
                entry = self._phrases.get(piece)
                if entry is not None and self._excused(found, entry):
                    entry = None
                if entry is None and piece not in self._fillers:
                    continue
                covered = here[0] + (j - i if entry else 0)
                candidate = (covered, -(len(here[2]) + 1), [*here[2], _Segment(i, j, entry)])
                current = best[j - start]
                if current is None or candidate[:2] > current[:2]:
                    best[j - start] = candidate
        return best

    def _excused(self, found: Sequence[str], entry: str) -> bool:
        return any(_contains(found, negative) for negative in self._negatives.get(entry, ()))

    def _edge(self, found: Sequence[str], *, leading: bool) -> list[_Segment]:
        """The longest run of small talk at the start (or end) of `found`.

        It must hold a phrasing and meet the question at a phrasing or a lead-in of two or
        more units: a lone particle next to the question may belong to it ("你们" in "你好
        你们几点开门").
        """
        size = len(found)
        cuts = range(size - 1, 0, -1) if leading else range(1, size)
        # Covers of every prefix come out of one pass; a suffix's cover starts anew each time.
        prefixes = self._covers(found, 0, size - 1) if leading and size > 1 else []
        for cut in cuts:
            if leading:
                best = prefixes[cut]
                segments = best[2] if best is not None else None
            else:
                segments = self._cover(found, cut, size)
            if segments is None or not any(segment.entry for segment in segments):
                continue
            inner = segments[-1] if leading else segments[0]
            if inner.entry is None and inner.end - inner.start < 2:
                continue
            return segments
        return []


def _contains(found: Sequence[str], key: Sequence[str]) -> bool:
    size = len(key)
    if not size:
        return True
    wanted = tuple(key)
    first = wanted[0]
    # Slices are compared only where the first unit matches: most positions fail there.
    return any(
        found[i] == first and tuple(found[i:i + size]) == wanted
        for i in range(len(found) - size + 1)
    )
