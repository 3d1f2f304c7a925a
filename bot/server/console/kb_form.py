"""The FAQ editor's form as plain FAQ data, and an FAQ as the form's fields (no logic)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from bot.core.faq import FAQ_LANGUAGES, Faq, faq_from_dict
from bot.core.language import HANS, to_simplified


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.replace("\r", "").split("\n") if line.strip()]


def _simplified(language: str, text: str) -> str:
    # Traditional Chinese is served from the simplified text, so it is stored simplified.
    return to_simplified(text) if language == HANS else text


def fingerprint(faq: Faq | None) -> str:
    """What the editor saw when the page was opened (to refuse saving over a later change)."""
    data = json.dumps(faq.to_dict() if faq else None, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(data.encode()).hexdigest()[:16]


def data_of(form: Mapping[str, Any]) -> dict[str, Any]:
    """FAQ plain data from the editor's fields."""
    def field(name: str) -> str:
        return str(form.get(name, ""))

    data: dict[str, Any] = {"id": field("id").strip()}
    data["questions"] = {
        language: [_simplified(language, text) for text in _lines(field(f"questions.{language}"))]
        for language in FAQ_LANGUAGES
    }
    data["answer"] = {
        language: _simplified(language, field(f"answer.{language}").strip())
        for language in FAQ_LANGUAGES if field(f"answer.{language}").strip()
    }
    for key in ("keywords", "negatives", "tags"):
        data[key] = [_simplified(HANS, text) for text in _lines(field(key))]
    if field("action").strip():
        data["action"] = field("action").strip()
    buttons = []
    for line in _lines(field("buttons")):
        parts = [part.strip() for part in line.replace("｜", "|").split("|")]
        titles = dict(zip(FAQ_LANGUAGES, parts[1:], strict=False))
        buttons.append({"id": parts[0], **{k: v for k, v in titles.items() if v}})
    if buttons:
        data["buttons"] = buttons
    if field("link_url").strip():
        data["link"] = {"url": field("link_url").strip(), **{
            language: field(f"link.{language}").strip() for language in FAQ_LANGUAGES
            if field(f"link.{language}").strip()
        }}
    data["enabled"] = field("enabled") == "on"
    return data


def faq_of(form: Mapping[str, Any]) -> tuple[Faq | None, list[str]]:
    """The FAQ the form describes, or every problem with it."""
    return faq_from_dict(data_of(form), "faq")


def fields_of(faq: Faq | None) -> dict[str, str]:
    """An FAQ as the editor's field values."""
    if faq is None:
        return {"id": "", "enabled": "on"}
    fields = {"id": faq.id, "enabled": "on" if faq.enabled else "",
              "action": faq.action or "", "link_url": faq.link_url or ""}
    for language in FAQ_LANGUAGES:
        fields[f"questions.{language}"] = "\n".join(faq.questions.get(language, ()))
        fields[f"answer.{language}"] = faq.answers.get(language, "")
        fields[f"link.{language}"] = faq.link_titles.get(language, "")
    for key in ("keywords", "negatives", "tags"):
        fields[key] = "\n".join(getattr(faq, key))
    fields["buttons"] = "\n".join(
        " | ".join([button.id, *(button.titles.get(language, "") for language in FAQ_LANGUAGES)])
        .rstrip(" |")
        for button in faq.buttons
    )
    return fields
