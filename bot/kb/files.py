"""Reading and writing the knowledge base as files, by extension: a folder, .toml or .csv."""

from __future__ import annotations

import tomllib
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from bot.core.errors import KnowledgeBaseError
from bot.core.faq import Faq, faq_from_dict
from bot.core.spreadsheet import decode
from bot.kb.csv_format import dump_csv, load_csv
from bot.kb.toml_format import dump_toml

UNTAGGED = "other"


def read_faqs(path: Path) -> tuple[list[Faq], list[str]]:
    """The FAQs in a file or folder, and every problem found (unknown languages, bad rows…)."""
    if path.is_dir():
        folder = path / "faq" if (path / "faq").is_dir() else path
        files = sorted(folder.glob("*.toml"))
        if not files:
            return [], [f"{folder}: no .toml files"]
    elif not path.exists():
        return [], [f"{path}: no such file or folder"]
    elif path.suffix == ".csv":
        # Bytes, not read_text: its newline translation would change line breaks inside cells.
        text, unreadable = decode(path.read_bytes(), path.name)
        return load_csv(text, path.name) if not unreadable else ([], unreadable)
    elif path.suffix == ".toml":
        files = [path]
    else:
        return [], [f"{path}: use a folder, a .toml or a .csv file"]
    faqs: list[Faq] = []
    problems: list[str] = []
    for file in files:
        found, trouble = _read_toml(file)
        faqs += found
        problems += trouble
    seen: set[str] = set()
    for faq in faqs:
        if faq.id in seen:
            problems.append(f"faq {faq.id}: id used twice")
        seen.add(faq.id)
    return faqs, problems


def _read_toml(path: Path) -> tuple[list[Faq], list[str]]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        return [], [f"{path.name}: not valid TOML ({error})"]
    entries = data.get("faq", [])
    if not isinstance(entries, list):
        return [], [f"{path.name}: write each FAQ under [[faq]] (two brackets)"]
    faqs, problems = [], []
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            problems.append(f"{path.name}: faq[{index}] must be a table")
            continue
        faq, found = faq_from_dict(entry, f"{path.name}: faq[{index}]")
        problems += found
        if faq is not None:
            faqs.append(faq)
    return faqs, problems


def write_faqs(path: Path, faqs: Sequence[Faq]) -> list[Path]:
    """Write `faqs` to a .csv or .toml file, or a folder (one faq/<first tag>.toml per topic)."""
    if path.suffix == ".csv":
        path.write_text(dump_csv(faqs), encoding="utf-8-sig", newline="")
        return [path]
    if path.suffix == ".toml":
        path.write_text(dump_toml(faqs), encoding="utf-8")
        return [path]
    if path.suffix:
        raise KnowledgeBaseError([f"{path}: use a folder, a .toml or a .csv file"])
    folder = path / "faq"
    folder.mkdir(parents=True, exist_ok=True)
    # An FAQ stays in the file it is already in, so that exporting over a folder staff
    # arranged by hand keeps their arrangement; new FAQs go to a file named after their tag.
    homes = {faq.id: file.stem for file in folder.glob("*.toml") for faq in _read_toml(file)[0]}
    topics: dict[str, list[Faq]] = defaultdict(list)
    for faq in faqs:
        topic = homes.get(faq.id) or _file_name(faq.tags[0] if faq.tags else UNTAGGED)
        topics[topic].append(faq)
    # The folder mirrors the store: a file whose FAQs are all gone would be read back.
    for stale in folder.glob("*.toml"):
        if stale.stem not in topics:
            stale.unlink()
    written = []
    for topic, members in sorted(topics.items()):
        target = folder / f"{topic}.toml"
        target.write_text(dump_toml(members), encoding="utf-8")
        written.append(target)
    return written


def _file_name(topic: str) -> str:
    return "".join(char if char.isalnum() or char in "-_" else "-" for char in topic) or UNTAGGED
