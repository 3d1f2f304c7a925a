"""Bodies from the network read safely: JSON decoded with limits, then typed field reads.

Whatever the bytes, the result is the data or a PayloadError: never a RecursionError from
deep nesting, a UnicodeError from invalid UTF-8, or a lone surrogate ("\\ud800") that no
database or platform accepts slipping through to fail later.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from bot.core.errors import PayloadError

MAX_DEPTH = 32  # no platform nests its JSON nearly this deep


def decode_json(body: bytes, what: str = "body") -> Any:
    """The JSON document in `body`; PayloadError if it is not one we can safely use."""
    try:
        data = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise PayloadError(f"{what} must be JSON (UTF-8)") from None
    check_json(data, what)
    return data


def check_json(data: Any, what: str = "body") -> None:
    """Refuse nesting deeper than MAX_DEPTH and strings holding lone surrogates."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            if not is_valid_text(value):
                raise PayloadError(f"{what} holds text that is not valid Unicode")
        elif isinstance(value, dict | list):
            if depth > MAX_DEPTH:
                raise PayloadError(f"{what} is nested more than {MAX_DEPTH} levels deep")
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                if isinstance(key, str) and not is_valid_text(key):
                    raise PayloadError(f"{what} holds a key that is not valid Unicode")
                stack.append((item, depth + 1))


def is_valid_text(text: str) -> bool:
    """Whether `text` can be stored and sent: no lone surrogates."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def header_bytes(value: str) -> bytes:
    """A header or query value as the bytes that arrived (aiohttp keeps invalid UTF-8 as
    surrogate escapes), for constant-time comparison without a UnicodeError."""
    return value.encode("utf-8", "surrogateescape")


def unix_time(seconds: int) -> datetime:
    """A Unix timestamp as UTC, refusing ones out of range."""
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        raise PayloadError(f"date {seconds} is out of range") from None


def json_object(value: Any, where: str) -> dict[str, Any]:
    """`value` if it is a JSON object."""
    if not isinstance(value, dict):
        raise PayloadError(f"{where} must be an object")
    return value


def optional_object(container: dict[str, Any], key: str) -> dict[str, Any] | None:
    """The object under `key`, or None when absent or null."""
    value = container.get(key)
    return None if value is None else json_object(value, key)


def integer(container: dict[str, Any], key: str, where: str) -> int:
    """The integer under `key` (booleans refused)."""
    value = container.get(key)
    # bool is an int in Python, never in a platform's JSON.
    if not isinstance(value, int) or isinstance(value, bool):
        raise PayloadError(f"{where}.{key} must be an integer")
    return value


def number(container: dict[str, Any], key: str) -> float:
    """The number under `key` (booleans refused)."""
    value = container.get(key)
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise PayloadError(f"{key} must be a number")
    return float(value)


def string(container: dict[str, Any], key: str, *, required: bool = False) -> str:
    """The string under `key`; "" when absent unless `required`."""
    value = container.get(key, None if required else "")
    if not isinstance(value, str) or (required and not value):
        raise PayloadError(f"{key} must be a {'non-empty ' if required else ''}string")
    return value
