"""Writes FAQs in the documented knowledge_base/ TOML format (what tomllib reads back)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from bot.core.faq import FAQ_LANGUAGES, Faq

WIDTH = 99
_ESCAPES = {'"': '\\"', "\\": "\\\\", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}


def _escape(text: str, newline: str) -> str:
    out = []
    for char in text:
        if char == "\n":
            out.append(newline)
        elif char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif ord(char) < 0x20 or char == "\x7f":
            out.append(f"\\u{ord(char):04X}")
        else:
            out.append(char)
    return "".join(out)


def quote(text: str) -> str:
    """A TOML string for `text`: three quotes when it spans lines, so staff can read it."""
    if "\n" in text:
        # The newline right after the opening quotes is not part of the value in TOML.
        return '"""\n' + _escape(text, "\n") + '"""'
    return '"' + _escape(text, "\\n") + '"'


def _array(key: str, values: Iterable[str]) -> str:
    items = [quote(value) for value in values]
    line = f"{key} = [{', '.join(items)}]"
    if len(line) <= WIDTH:
        return line
    return f"{key} = [\n" + "".join(f"    {item},\n" for item in items) + "]"


def _ordered(texts: Mapping[str, str | tuple[str, ...]]) -> list[str]:
    return [lang for lang in FAQ_LANGUAGES if lang in texts] + sorted(
        lang for lang in texts if lang not in FAQ_LANGUAGES
    )


def dump_faq(faq: Faq) -> str:
    """One `[[faq]]` block."""
    lines = ["[[faq]]", f"id = {quote(faq.id)}"]
    if faq.action:
        lines.append(f"action = {quote(faq.action)}")
    if faq.small_talk:
        lines.append(f"small_talk = {quote(faq.small_talk)}")
    for key in ("tags", "keywords", "negatives"):
        values: tuple[str, ...] = getattr(faq, key)
        if values:
            lines.append(_array(key, values))
    if not faq.enabled:
        lines.append("enabled = false")
    lines += ["", "[faq.questions]"]
    lines += [_array(lang, faq.questions[lang]) for lang in _ordered(faq.questions)]
    if faq.answers:
        lines += ["", "[faq.answer]"]
        lines += [f"{lang} = {quote(faq.answers[lang])}" for lang in _ordered(faq.answers)]
    for button in faq.buttons:
        lines += ["", "[[faq.buttons]]", f"id = {quote(button.id)}"]
        lines += [f"{lang} = {quote(button.titles[lang])}" for lang in _ordered(button.titles)]
    if faq.link_url:
        lines += ["", "[faq.link]", f"url = {quote(faq.link_url)}"]
        lines += [
            f"{lang} = {quote(faq.link_titles[lang])}" for lang in _ordered(faq.link_titles)
        ]
    return "\n".join(lines) + "\n"


def dump_toml(faqs: Iterable[Faq]) -> str:
    """A whole FAQ file."""
    return "\n".join(dump_faq(faq) for faq in faqs)
