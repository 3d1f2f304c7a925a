"""The request id: which HTTP request (or pulled update) a log line, a message and a send
belong to, carried through tasks by a context variable and stored with outbox rows."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

# asyncio copies the context into every task it creates, so handling started in the
# background for a webhook keeps the webhook's id without passing it along.
_REQUEST_ID: ContextVar[str] = ContextVar("request_id", default="")
# What a proxy in front may hand us in X-Request-Id (anything else is replaced, not logged).
_ACCEPTABLE = re.compile(r"[A-Za-z0-9._:-]{8,64}")


def new_request_id() -> str:
    """A fresh id: 16 hexadecimal characters."""
    return secrets.token_hex(8)


def current_request_id() -> str:
    """The id of the request being handled here ("" outside any)."""
    return _REQUEST_ID.get()


def acceptable_request_id(text: str | None) -> str | None:
    """An id given by a proxy, if it is safe to log and short enough; else None."""
    return text if text is not None and _ACCEPTABLE.fullmatch(text) else None


@contextmanager
def bound_request_id(request_id: str) -> Iterator[str]:
    """Make `request_id` the current one inside the block."""
    token = _REQUEST_ID.set(request_id)
    try:
        yield request_id
    finally:
        _REQUEST_ID.reset(token)
