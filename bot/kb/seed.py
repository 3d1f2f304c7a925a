"""The knowledge_base/ folder: FAQ files and replies.toml, read to seed a new store."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from pathlib import Path

from bot.core.errors import KnowledgeBaseError
from bot.core.faq import Faq, faq_from_dict
from bot.core.texts import Texts


def _faq_files(folder: Path) -> Iterator[Path]:
    yield from sorted((folder / "faq").glob("*.toml"))


def load_faqs(folder: Path) -> list[Faq]:
    """Read every FAQ file under `folder`/faq; raise KnowledgeBaseError listing all problems."""
    faqs: list[Faq] = []
    problems: list[str] = []
    seen: set[str] = set()
    for path in _faq_files(folder):
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as error:
            problems.append(f"{path.name}: not valid TOML ({error})")
            continue
        entries = data.get("faq", [])
        if not isinstance(entries, list):
            problems.append(f"{path.name}: write each FAQ under [[faq]] (two brackets)")
            continue
        for index, entry in enumerate(entries):
            if not isinstance(entry, dict):
                problems.append(f"{path.name}: faq[{index}] must be a table")
                continue
            faq, found = faq_from_dict(entry, f"{path.name}: faq[{index}]")
            problems.extend(found)
            if faq is None:
                continue
            if faq.id in seen:
                problems.append(f"{path.name}: faq {faq.id}: id used twice")
                continue
            seen.add(faq.id)
            faqs.append(faq)
    if problems:
        raise KnowledgeBaseError(problems)
    return faqs


def load_texts(folder: Path) -> Texts:
    """Read replies.toml (customers' texts) and staff.toml (staff's): one table per text key,
    one entry per language; a key in both files is a problem."""
    entries: dict[str, dict[str, str]] = {}
    problems: list[str] = []
    for name, required in (("replies.toml", True), ("staff.toml", False)):
        path = folder / name
        if not required and not path.exists():
            continue
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (FileNotFoundError, tomllib.TOMLDecodeError) as error:
            raise KnowledgeBaseError([f"{path}: {error}"]) from None
        for key, value in data.items():
            if not isinstance(value, dict):
                problems.append(f"{name}: {key} must be a table of languages")
            elif key in entries:
                problems.append(f"{name}: {key} is also in replies.toml")
            else:
                entries[key] = dict(value)
    if problems:
        raise KnowledgeBaseError(problems)
    return Texts(entries)
