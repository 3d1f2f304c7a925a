"""Text rendering shared by adapters: buttons as numbered lines, splitting long texts."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from bot.core.message import Reply


def numbered(reply: Reply) -> str:
    """The reply's text with its buttons as numbered lines, and its link on its own line."""
    lines = [reply.text] if reply.text else []
    lines.extend(f"{index}. {button.title}" for index, button in enumerate(reply.buttons, 1))
    if reply.link_url:
        title = reply.link_title or ""
        lines.append(f"{title}: {reply.link_url}" if title else reply.link_url)
    if reply.image_url:
        lines.append(reply.image_url)
    return "\n".join(lines)


def split_text(text: str, limit: int, measure: Callable[[str], int] = len) -> list[str]:
    """Split `text` into parts of at most `limit` (by `measure`), on line breaks when possible."""
    if measure(text) <= limit:
        return [text]
    parts: list[str] = []
    current = ""
    for line in text.splitlines(keepends=True):
        if measure(current + line) <= limit:
            current += line
            continue
        if current:
            parts.append(current.rstrip("\n"))
            current = ""
        while measure(line) > limit:
            cut = _longest_prefix(line, limit, measure)
            parts.append(line[:cut])
            line = line[cut:]
        current = line
    if current.strip():
        parts.append(current.rstrip("\n"))
    return [part for part in parts if part]


def _longest_prefix(text: str, limit: int, measure: Callable[[str], int]) -> int:
    """The longest prefix length that fits, preferring to cut after a space."""
    low, high = 1, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if measure(text[:middle]) <= limit:
            low = middle
        else:
            high = middle - 1
    space = text.rfind(" ", 0, low)
    return space + 1 if space > low // 2 else low


def utf8_length(text: str) -> int:
    """Length in UTF-8 bytes (WeChat counts bytes)."""
    return len(text.encode("utf-8"))


def utf16_length(text: str) -> int:
    """Length in UTF-16 code units (Telegram counts these)."""
    return len(text.encode("utf-16-le")) // 2


class _Fields(dict[str, str]):
    """Placeholders a notice leaves empty are filled with nothing, not an error."""

    def __missing__(self, key: str) -> str:
        return ""


def fill(template: str, fields: Mapping[str, str]) -> str:
    """A template text with its `{name}` placeholders filled from a notice's fields."""
    return template.format_map(_Fields(fields))
