"""The bot's own canned texts (knowledge_base/replies.toml), per language."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.core.language import localize


@dataclass(frozen=True, slots=True)
class Texts:
    """The bot's own canned texts (knowledge_base/replies.toml), per language."""

    entries: Mapping[str, Mapping[str, str]]

    def has(self, key: str) -> bool:
        """Whether there is a text `key`."""
        return key in self.entries

    def get(self, key: str, language: str, **values: Any) -> str:
        """The text `key` in `language`, with `{name}` placeholders filled from `values`."""
        texts = self.entries.get(key)
        if texts is None:
            raise KeyError(f"no canned text {key!r} in replies.toml or staff.toml")
        text = localize(dict(texts), language)
        return text.format(**values) if values else text
