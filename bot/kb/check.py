"""The validation report shown before a knowledge base is imported (or after it is exported).

Errors stop an import; warnings are worth fixing but do not. "Captured better" is judged by
asking a matcher each phrasing P of FAQ F with P itself left out of F: when another FAQ then
ranks above F, P only reaches F because it is written there word for word, and a customer who
words it slightly differently gets the other FAQ.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from bot.core.faq import FAQ_LANGUAGES, Faq
from bot.core.language import to_simplified
from bot.core.normalize import normalize
from bot.kb.index import document_of
from bot.matching import Matcher

Progress = Callable[[int, int], None]  # (done, total)
FAQ_BUTTON = "faq:"
RANKS = 10


@dataclass(frozen=True, slots=True)
class Captured:
    """A phrasing of one FAQ that the matcher sends to another when it is not written in."""

    faq_id: str
    phrasing: str
    other_id: str
    other_score: float
    own_score: float | None  # None: the FAQ was not even among the top RANKS


@dataclass(slots=True)
class Report:
    """What is wrong (errors) and what looks doubtful (warnings) in a set of FAQs."""

    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    captured: list[Captured] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether the FAQs may be written."""
        return not self.errors

    def lines(self) -> list[str]:
        """The report as text lines."""
        lines = [f"error: {text}" for text in self.errors]
        lines += [f"warning: {text}" for text in self.warnings]
        for found in self.captured:
            own = f"not in top {RANKS}"
            if found.own_score is not None:
                own = f"{found.own_score:.2f}"
            lines.append(
                f"warning: faq {found.faq_id}: {found.phrasing!r} is captured better by"
                f" {found.other_id} ({found.other_score:.2f} against {own})"
            )
        return lines


def key_of(text: str) -> str:
    """The form in which two phrasings count as the same (an emoji phrasing is itself)."""
    return normalize(to_simplified(text)) or text.strip()


def check(
    faqs: Sequence[Faq], *, captured: bool = True, min_score: float = 0.0,
    progress: Progress | None = None,
) -> Report:
    """Validate enabled FAQs: duplicates, empty answers, dead buttons, captured phrasings.

    `progress(done, total)` hears how far the "captured better" ranking is (the slow part).
    """
    report = Report()
    live = [faq for faq in faqs if faq.enabled]
    ids = {faq.id for faq in faqs}
    owners: dict[str, list[str]] = defaultdict(list)
    for faq in live:
        keys = [key_of(text) for text in faq.phrasings()]
        for key in dict.fromkeys(keys):
            owners[key].append(faq.id)
        if len(set(keys)) < len(keys):
            report.warnings.append(f"faq {faq.id}: the same phrasing is written twice")
        own = set(keys)
        for negative in faq.negatives:
            if key_of(negative) in own:
                report.errors.append(
                    f"faq {faq.id}: {negative!r} is both a phrasing and a negative"
                )
        _check_answers(faq, report)
        for button in faq.buttons:
            target = button.id.removeprefix(FAQ_BUTTON)
            if button.id.startswith(FAQ_BUTTON) and target not in ids:
                report.warnings.append(f"faq {faq.id}: button {button.id} opens no FAQ")
    for key, holders in owners.items():
        if len(holders) > 1:
            report.errors.append(f"phrasing {key!r} is in several FAQs: {', '.join(holders)}")
    if captured:
        # Small talk is found by whole phrasings, not ranked against FAQs: nothing to capture.
        questions = [faq for faq in live if not faq.small_talk]
        report.captured = find_captured(questions, min_score=min_score, progress=progress)
    return report


def _check_answers(faq: Faq, report: Report) -> None:
    if faq.action:
        return
    for language in FAQ_LANGUAGES:
        if not faq.answers.get(language, "").strip():
            report.warnings.append(
                f"faq {faq.id}: empty {language} answer (those customers get another language)"
            )
        if not faq.questions.get(language):
            report.warnings.append(f"faq {faq.id}: no {language} phrasings")


def find_captured(
    faqs: Sequence[Faq], *, min_score: float = 0.0, progress: Progress | None = None
) -> list[Captured]:
    """Phrasings whose best match, once left out of their own FAQ, is another FAQ."""
    matcher = Matcher(document_of(faq) for faq in faqs)
    found: list[Captured] = []
    for number, faq in enumerate(faqs, 1):
        if progress is not None:
            progress(number, len(faqs))
        phrasings = faq.phrasings()
        if len(phrasings) < 2:
            continue
        for index, phrasing in enumerate(phrasings):
            rest = phrasings[:index] + phrasings[index + 1:]
            matcher.upsert(replace(document_of(faq), phrasings=rest))
            ranked = matcher.search(to_simplified(phrasing), limit=RANKS)
            if not ranked or ranked[0].faq_id == faq.id or ranked[0].score < min_score:
                continue
            own = next((c.score for c in ranked if c.faq_id == faq.id), None)
            if own is None or ranked[0].score > own:
                found.append(
                    Captured(faq.id, phrasing, ranked[0].faq_id, ranked[0].score, own)
                )
        matcher.upsert(document_of(faq))
    return found
