"""The FAQ model: one question the brand answers, its buttons, and a ranked match for it."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.core.language import ENGLISH, HANS, localize

FAQ_LANGUAGES = (HANS, ENGLISH)
_FAQ_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
# What a small-talk entry is (`small_talk = "thanks"`): the conversation's own moves, answered
# by the small-talk route, never offered as an FAQ. Some mean more in context: affirm and deny
# answer a question the bot asked; acknowledge and thanks close a topic; complaint and
# distress also offer a person. "chitchat" is anything else worth a canned answer.
SMALL_TALK = (
    "greeting", "thanks", "goodbye", "acknowledge", "affirm", "deny", "bot", "praise",
    "insult", "complaint", "distress", "laugh", "chitchat",
)


@dataclass(frozen=True, slots=True)
class FaqButton:
    """A button under an FAQ answer: its payload id and a title per language."""

    id: str
    titles: Mapping[str, str]

    def title(self, language: str) -> str:
        """The title in `language`."""
        return localize(dict(self.titles), language)


@dataclass(frozen=True, slots=True)
class Faq:
    """One question the brand answers, in several phrasings and languages."""

    id: str
    questions: Mapping[str, tuple[str, ...]]
    answers: Mapping[str, str] = field(default_factory=dict)
    tags: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    negatives: tuple[str, ...] = ()
    action: str | None = None
    buttons: tuple[FaqButton, ...] = ()
    link_url: str | None = None
    link_titles: Mapping[str, str] = field(default_factory=dict)
    enabled: bool = True
    small_talk: str = ""  # one of SMALL_TALK for a small-talk entry; "" for an FAQ

    def phrasings(self) -> tuple[str, ...]:
        """Every question phrasing, all languages together."""
        return tuple(text for language in self.questions for text in self.questions[language])

    def answer(self, language: str) -> str:
        """The answer in `language` (traditional Chinese from the simplified one)."""
        return localize(dict(self.answers), language) if self.answers else ""

    def title(self, language: str) -> str:
        """A short title: the first phrasing in `language`."""
        texts = {lang: phrasings[0] for lang, phrasings in self.questions.items() if phrasings}
        return localize(texts, language)

    def to_dict(self) -> dict[str, Any]:
        """The plain-data form stored in the database and written to files."""
        data: dict[str, Any] = {
            "id": self.id,
            "questions": {lang: list(texts) for lang, texts in self.questions.items()},
        }
        if self.answers:
            data["answer"] = dict(self.answers)
        for key in ("tags", "keywords", "negatives"):
            if getattr(self, key):
                data[key] = list(getattr(self, key))
        if self.action:
            data["action"] = self.action
        if self.buttons:
            data["buttons"] = [{"id": b.id, **b.titles} for b in self.buttons]
        if self.link_url:
            data["link"] = {"url": self.link_url, **self.link_titles}
        if not self.enabled:
            data["enabled"] = False
        if self.small_talk:
            data["small_talk"] = self.small_talk
        return data


def faq_from_dict(data: Mapping[str, Any], where: str = "faq") -> tuple[Faq | None, list[str]]:
    """Build an FAQ from plain data, returning it or the list of what is wrong."""
    problems: list[str] = []
    faq_id = data.get("id")
    if not isinstance(faq_id, str) or not _FAQ_ID.match(faq_id):
        shown = f" {faq_id!r}" if isinstance(faq_id, str) else ""
        return None, [f"{where}: id{shown} must be lowercase letters, digits, '.', '_' or '-'"]
    where = f"{where} {faq_id}"

    def texts(value: Any, key: str) -> tuple[str, ...]:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
            problems.append(f"{where}: {key} must be a list of strings")
            return ()
        return tuple(t.strip() for t in value if t.strip())

    def by_language(value: Any, key: str) -> dict[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            problems.append(f"{where}: {key} must be a table of languages")
            return {}
        for language in value:
            if language not in FAQ_LANGUAGES:
                problems.append(
                    f"{where}: {key}.{language}: unknown language (use {', '.join(FAQ_LANGUAGES)})"
                )
        return {k: v for k, v in value.items() if k in FAQ_LANGUAGES}

    questions = {
        lang: texts(value, f"questions.{lang}")
        for lang, value in by_language(data.get("questions"), "questions").items()
    }
    questions = {lang: q for lang, q in questions.items() if q}
    if not questions:
        problems.append(f"{where}: needs at least one question")
    answers = {
        lang: text.strip()
        for lang, text in by_language(data.get("answer"), "answer").items()
        if isinstance(text, str) and text.strip()
    }
    action = data.get("action")
    if action is not None and not isinstance(action, str):
        problems.append(f"{where}: action must be a string")
        action = None
    if not answers and not action:
        problems.append(f"{where}: needs an answer or an action")
    small_talk = data.get("small_talk") or ""
    if small_talk not in ("", *SMALL_TALK):
        problems.append(f"{where}: small_talk must be one of {', '.join(SMALL_TALK)}")
    buttons = []
    for index, item in enumerate(data.get("buttons") or []):
        if not isinstance(item, dict) or not isinstance(item.get("id"), str):
            problems.append(f"{where}: buttons[{index}] needs an id")
            continue
        titles = {k: str(v) for k, v in item.items() if k in FAQ_LANGUAGES}
        buttons.append(FaqButton(item["id"], titles or {ENGLISH: item["id"]}))
    link = data.get("link") or {}
    if not isinstance(link, dict):
        problems.append(f"{where}: link must be a table with a url")
    if problems:
        return None, problems
    return (
        Faq(
            id=faq_id,
            questions=questions,
            answers=answers,
            tags=texts(data.get("tags", []), "tags"),
            keywords=texts(data.get("keywords", []), "keywords"),
            negatives=texts(data.get("negatives", []), "negatives"),
            action=action,
            buttons=tuple(buttons),
            link_url=link.get("url") if isinstance(link, dict) else None,
            link_titles={k: str(v) for k, v in link.items() if k in FAQ_LANGUAGES},
            enabled=bool(data.get("enabled", True)),
            small_talk=str(small_talk),
        ),
        problems,
    )


@dataclass(frozen=True, slots=True)
class Candidate:
    """One FAQ that may answer a question, with a score in [0, 1]."""

    faq_id: str
    score: float
    phrasing: str
    components: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Reading:
    """What the bot makes of one message: its small talk, its question and the FAQs for that.

    `outcome` is what the FAQ route does with the question: "answer", "did you mean",
    "clarify" (a short message that is no FAQ's exact wording: ask what is meant) or
    "fallback". `small_talk` names the small-talk entry the reply should answer when the
    message is small talk (or small talk around a question the FAQs cannot answer).
    """

    text: str
    question: str
    candidates: tuple[Candidate, ...] = ()
    outcome: str = "fallback"
    small_talk: str | None = None
    moves: tuple[str, ...] = ()  # the small-talk categories found, in order
    anywhere: str | None = None  # a distress or complaint entry found inside a longer message
