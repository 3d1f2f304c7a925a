"""What one revision of an FAQ changed, field by field, for staff to read before undoing it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Change:
    """One field of an FAQ before and after: texts removed and added."""

    field: str  # "questions.zh-Hans", "answer.en", "keywords", "enabled" …
    removed: tuple[str, ...]
    added: tuple[str, ...]


def _flat(data: dict[str, Any] | None) -> dict[str, tuple[str, ...]]:
    """An FAQ's plain data as field → texts (tables of languages become one field each)."""
    flat: dict[str, tuple[str, ...]] = {}
    for key, value in (data or {}).items():
        if key == "id":
            continue
        if key in ("questions", "answer", "link") and isinstance(value, dict):
            for sub, texts in value.items():
                items = texts if isinstance(texts, list) else [texts]
                flat[f"{key}.{sub}"] = tuple(str(text) for text in items)
        elif key == "buttons" and isinstance(value, list):
            flat[key] = tuple(
                " | ".join(str(button.get(part, "")) for part in ("id", "zh-Hans", "en"))
                for button in value if isinstance(button, dict)
            )
        elif isinstance(value, list):
            flat[key] = tuple(str(item) for item in value)
        else:
            flat[key] = (str(value).lower() if isinstance(value, bool) else str(value),)
    flat.setdefault("enabled", ("true",))
    return flat


def changes(before: dict[str, Any] | None, after: dict[str, Any] | None) -> list[Change]:
    """The fields that differ, each with the texts taken out and put in."""
    old, new = _flat(before), _flat(after)
    found = []
    for name in sorted(set(old) | set(new)):
        removed = tuple(text for text in old.get(name, ()) if text not in new.get(name, ()))
        added = tuple(text for text in new.get(name, ()) if text not in old.get(name, ()))
        if removed or added:
            found.append(Change(name, removed, added))
    return found
