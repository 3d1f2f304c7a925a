"""The spreadsheet form of the knowledge base: one CSV row per phrasing, answer, tag… of an FAQ."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from bot.core.faq import FAQ_LANGUAGES, Faq, faq_from_dict
from bot.core.spreadsheet import dump_rows, read_sheet

COLUMNS = ("faq_id", "kind", "language", "text", "target")
REQUIRED = COLUMNS[:4]  # target only matters to button and link rows
KINDS = (
    "action", "small_talk", "enabled", "tag", "keyword", "negative", "question", "answer",
    "button", "link",
)
_LIST_KINDS = {"tag": "tags", "keyword": "keywords", "negative": "negatives"}
_LANGUAGE_KINDS = ("question", "answer", "button")
_TARGET_KINDS = ("button", "link")


def _ordered(languages: Iterable[str]) -> list[str]:
    present = set(languages)
    return [lang for lang in FAQ_LANGUAGES if lang in present]


def _rows(faq: Faq) -> list[tuple[str, str, str, str, str]]:
    rows = []
    if faq.action:
        rows.append((faq.id, "action", "", faq.action, ""))
    if faq.small_talk:
        rows.append((faq.id, "small_talk", "", faq.small_talk, ""))
    if not faq.enabled:
        rows.append((faq.id, "enabled", "", "false", ""))
    for kind, key in _LIST_KINDS.items():
        rows += [(faq.id, kind, "", value, "") for value in getattr(faq, key)]
    for lang in _ordered(faq.questions):
        rows += [(faq.id, "question", lang, text, "") for text in faq.questions[lang]]
    rows += [(faq.id, "answer", lang, faq.answers[lang], "") for lang in _ordered(faq.answers)]
    for button in faq.buttons:
        rows += [
            (faq.id, "button", lang, button.titles[lang], button.id)
            for lang in _ordered(button.titles)
        ]
    if faq.link_url:
        titles = _ordered(faq.link_titles)
        rows += [(faq.id, "link", lang, faq.link_titles[lang], faq.link_url) for lang in titles]
        if not titles:
            rows.append((faq.id, "link", "", "", faq.link_url))
    return rows


def dump_csv(faqs: Iterable[Faq]) -> str:
    """The CSV text (with a header) for `faqs`, safe to open in a spreadsheet."""
    return dump_rows(COLUMNS, (row for faq in faqs for row in _rows(faq)))


def load_csv(text: str, name: str = "csv") -> tuple[list[Faq], list[str]]:
    """FAQs from CSV text, and every problem found (row numbers as a spreadsheet shows them)."""
    sheet = read_sheet(text, name, COLUMNS, REQUIRED)
    problems = sheet.problems
    entries: dict[str, dict[str, Any]] = {}
    first_rows: dict[str, int] = {}
    for number, row in sheet.rows:
        where = f"{name} row {number}"
        faq_id, kind, language = row["faq_id"], row["kind"], row["language"]
        value, target = row["text"], row.get("target", "")
        if not faq_id:
            problems.append(f"{where}: faq_id is empty")
            continue
        if kind not in KINDS:
            problems.append(f"{where}: kind {kind!r} is not one of {', '.join(KINDS)}")
            continue
        needs_language = kind in _LANGUAGE_KINDS
        if (language or needs_language) and language not in FAQ_LANGUAGES:
            problems.append(
                f"{where}: language {language!r} must be one of {', '.join(FAQ_LANGUAGES)}"
                " (traditional Chinese is served from zh-Hans)"
            )
            continue
        if target and kind not in _TARGET_KINDS:
            problems.append(f"{where}: only button and link rows use the target column; a"
                            " comma inside an unquoted cell? put the cell in quotes")
            continue
        entry = entries.setdefault(faq_id, {"id": faq_id})
        first_rows.setdefault(faq_id, number)
        problem = _add(entry, kind, language, value, target)
        if problem:
            problems.append(f"{where}: {problem}")
    faqs = []
    for faq_id, entry in entries.items():
        buttons = entry.pop("_buttons", {})
        if buttons:
            entry["buttons"] = [{"id": key, **titles} for key, titles in buttons.items()]
        faq, found = faq_from_dict(entry, f"{name} row {first_rows[faq_id]}, faq")
        problems += found
        if faq is not None:
            faqs.append(faq)
    return faqs, problems


def _add(entry: dict[str, Any], kind: str, language: str, value: str, target: str) -> str:
    """Put one row into an FAQ's plain data; returns what is wrong with it, or ''."""
    if kind in _LIST_KINDS:
        entry.setdefault(_LIST_KINDS[kind], []).append(value)
    elif kind == "question":
        entry.setdefault("questions", {}).setdefault(language, []).append(value)
    elif kind == "answer":
        answers = entry.setdefault("answer", {})
        if language in answers:
            return f"a second {language} answer for {entry['id']}"
        answers[language] = value
    elif kind in ("action", "small_talk"):
        entry[kind] = value
    elif kind == "enabled":
        if value.casefold() not in ("true", "false", "yes", "no"):
            return "enabled must be true or false"
        entry["enabled"] = value.casefold() in ("true", "yes")
    elif kind == "button":
        if not target:
            return "a button needs its id in the target column"
        entry.setdefault("_buttons", {}).setdefault(target, {})[language] = value
    elif kind == "link":
        if not target:
            return "a link needs its url in the target column"
        link = entry.setdefault("link", {"url": target})
        if link["url"] != target:
            return f"a second link url for {entry['id']}"
        if language:
            link[language] = value
    return ""
