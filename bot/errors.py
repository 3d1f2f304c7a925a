"""The error tree of brandbot.

    BotError
    ├── ConfigError          config.toml or its environment is wrong (every problem listed)
    ├── InboundError
    │   ├── SignatureError   the request is not from the platform: 401/403, nothing stored
    │   └── PayloadError     authentic but unparseable: 400, raw body kept as a dead letter
    └── OutboundError        a platform API refused or timed out (the outbox retries)
"""

from __future__ import annotations


class BotError(Exception):
    """Base of every error brandbot raises on purpose."""


class ConfigError(BotError):
    """The configuration has one or more problems; all of them are listed."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


class InboundError(BotError):
    """A request from a platform could not be accepted."""

    status = 400


class SignatureError(InboundError):
    """The request failed verification (signature, token or secret)."""

    status = 403

    def __init__(self, reason: str, status: int = 403) -> None:
        super().__init__(reason)
        self.status = status


class PayloadError(InboundError):
    """The request is authentic but its body cannot be parsed."""

    status = 400


class OutboundError(BotError):
    """A platform API call failed."""
