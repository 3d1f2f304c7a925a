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
    """Read replies.toml: one table per text key, one entry per language."""
    path = folder / "replies.toml"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, tomllib.TOMLDecodeError) as error:
        raise KnowledgeBaseError([f"{path}: {error}"]) from None
    problems = [
        f"replies.toml: {key} must be a table of languages"
        for key, value in data.items()
        if not isinstance(value, dict)
    ]
    if problems:
        raise KnowledgeBaseError(problems)
    return Texts({key: dict(value) for key, value in data.items()})
