"""The spreadsheet form of the knowledge base: one CSV row per phrasing, answer, tag… of an FAQ."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

from bot.knowledge import FAQ_LANGUAGES, Faq, faq_from_dict

COLUMNS = ("faq_id", "kind", "language", "text", "target")
KINDS = (
    "action", "enabled", "tag", "keyword", "negative", "question", "answer", "button", "link"
)
_LIST_KINDS = {"tag": "tags", "keyword": "keywords", "negative": "negatives"}
_LANGUAGE_KINDS = ("question", "answer", "button")


def _ordered(languages: Iterable[str]) -> list[str]:
    present = set(languages)
    return [lang for lang in FAQ_LANGUAGES if lang in present]


def _rows(faq: Faq) -> list[tuple[str, str, str, str, str]]:
    rows = []
    if faq.action:
        rows.append((faq.id, "action", "", faq.action, ""))
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
    """The CSV text (with a header) for `faqs`."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for faq in faqs:
        writer.writerows(_rows(faq))
    return out.getvalue()


def load_csv(text: str, name: str = "csv") -> tuple[list[Faq], list[str]]:
    """FAQs from CSV text, and every problem found (row numbers as a spreadsheet shows them)."""
    reader = csv.DictReader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    missing = [column for column in COLUMNS[:4] if column not in (reader.fieldnames or ())]
    if missing:
        return [], [f"{name}: missing column(s) {', '.join(missing)} (need {', '.join(COLUMNS)})"]
    problems: list[str] = []
    entries: dict[str, dict[str, Any]] = {}
    for number, row in enumerate(reader, start=2):
        where = f"{name} row {number}"
        faq_id, kind = (row.get("faq_id") or "").strip(), (row.get("kind") or "").strip()
        language, value = (row.get("language") or "").strip(), (row.get("text") or "").strip()
        target = (row.get("target") or "").strip()
        if not faq_id and not kind and not value:
            continue  # a blank line left in the spreadsheet
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
        entry = entries.setdefault(faq_id, {"id": faq_id})
        problem = _add(entry, kind, language, value, target)
        if problem:
            problems.append(f"{where}: {problem}")
    faqs = []
    for entry in entries.values():
        buttons = entry.pop("_buttons", {})
        if buttons:
            entry["buttons"] = [{"id": key, **titles} for key, titles in buttons.items()]
        faq, found = faq_from_dict(entry, name)
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
    elif kind == "action":
        entry["action"] = value
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
