"""Typed reads from a decoded JSON payload: a missing or mistyped field is a PayloadError."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot.core.errors import PayloadError


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
