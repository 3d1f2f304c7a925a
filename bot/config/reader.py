"""TableReader: reads one TOML table, collecting every problem instead of stopping at the first."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

T = TypeVar("T")


class TableReader:
    """Reads one TOML table, collecting every problem instead of stopping at the first."""

    def __init__(
        self,
        name: str,
        table: Mapping[str, Any],
        problems: list[str],
        env: Mapping[str, str],
        secrets: list[str] | None = None,
    ) -> None:
        self.name = name
        self.table = table
        self.problems = problems
        self.env = env
        # Shared by every reader of one file: the secret values read from the environment.
        self.secrets: list[str] = [] if secrets is None else secrets
        self._read: set[str] = set()

    def _get(self, key: str, default: T, kind: type | tuple[type, ...], label: str) -> T:
        self._read.add(key)
        if key not in self.table:
            return default
        value = self.table[key]
        # bool is an int in Python; an int key must not accept true/false.
        if isinstance(value, bool) and kind is not bool:
            self.problem(key, f"must be {label}, not a boolean")
            return default
        if not isinstance(value, kind):
            self.problem(key, f"must be {label}, got {type(value).__name__}")
            return default
        return value  # type: ignore[return-value]

    def problem(self, key: str, text: str) -> None:
        """Record one problem with `key` of this table."""
        self.problems.append(f"{self.name}.{key}: {text}")

    def string(self, key: str, default: str = "", *, choices: tuple[str, ...] = ()) -> str:
        """A string value, optionally one of `choices`."""
        value = self._get(key, default, str, "a string")
        if choices and value not in choices:
            self.problem(key, f"must be one of {', '.join(choices)}, got {value!r}")
            return default
        return value

    def integer(
        self, key: str, default: int, *, minimum: int | None = None, maximum: int | None = None
    ) -> int:
        """An integer value, optionally within `minimum` … `maximum`."""
        value = self._get(key, default, int, "an integer")
        return value if self._in_range(key, value, minimum, maximum) else default

    def number(
        self, key: str, default: float, *, minimum: float | None = None,
        maximum: float | None = None,
    ) -> float:
        """A float value (integers accepted), optionally within `minimum` … `maximum`."""
        value = float(self._get(key, default, (int, float), "a number"))
        return value if self._in_range(key, value, minimum, maximum) else default

    def _in_range(
        self, key: str, value: float, minimum: float | None, maximum: float | None
    ) -> bool:
        """Whether a number is in range; a value out of it is a problem like a wrong type."""
        if minimum is not None and maximum is not None and not minimum <= value <= maximum:
            self.problem(key, f"must be between {minimum} and {maximum}, got {value}")
            return False
        if minimum is not None and value < minimum:
            self.problem(key, f"must be at least {minimum}, got {value}")
            return False
        if maximum is not None and value > maximum:
            self.problem(key, f"must be at most {maximum}, got {value}")
            return False
        return True

    def clock_time(self, key: str, default: str) -> str:
        """A time of day like "09:00" (24:00 allowed), written back as HH:MM."""
        value = self.string(key, default)
        hours, _, minutes = value.partition(":")
        if not (hours.isdigit() and minutes.isdigit() and int(hours) <= 24 and int(minutes) < 60):
            self.problem(key, f"must be a time like 09:00, got {value!r}")
            return default
        return f"{int(hours):02d}:{int(minutes):02d}"

    def boolean(self, key: str, default: bool) -> bool:
        """A boolean value."""
        return self._get(key, default, bool, "true or false")

    def strings(self, key: str, default: tuple[str, ...] = ()) -> tuple[str, ...]:
        """A list of strings."""
        value = self._get(key, list(default), list, "a list of strings")
        if not all(isinstance(item, str) for item in value):
            self.problem(key, "must be a list of strings")
            return default
        return tuple(value)

    def tables(self, key: str, label: str) -> list[Any] | None:
        """A list of tables (`[[name.key]]`), or None when absent."""
        if key not in self.table:
            self._read.add(key)
            return None
        entries: list[Any] = self._get(key, [], list, label)
        return entries

    def mark_read(self, key: str) -> None:
        """Count `key` as read (its value was checked by the caller)."""
        self._read.add(key)

    def nested(self, name: str, table: Mapping[str, Any]) -> TableReader:
        """A reader for a table found inside this one (an entry of a list of tables)."""
        return TableReader(f"{self.name}.{name}", table, self.problems, self.env, self.secrets)

    def subtable(self, key: str) -> TableReader:
        """A nested table (missing means empty)."""
        value: dict[str, Any] = self._get(key, {}, dict, "a table")
        return TableReader(f"{self.name}.{key}", value, self.problems, self.env, self.secrets)

    def secret(self, key: str, *, required: bool) -> str:
        """The value of the environment variable named by `key` (e.g. `token_env`)."""
        variable = self.string(key)
        if not variable:
            if required:
                self.problem(key, "must name the environment variable holding the secret")
            return ""
        value = self.env.get(variable, "")
        if value:
            self.secrets.append(value)  # every secret read is masked in the logs
        if required and not value:
            self.problem(key, f"environment variable {variable} is not set")
        return value

    def finish(self) -> None:
        """Report keys nobody read: they are typos or unsupported settings."""
        for key in self.table:
            if key not in self._read:
                self.problem(key, "unknown setting")
