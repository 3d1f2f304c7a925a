"""Signed, timed tokens: a value, when it was issued and an HMAC, bound to one purpose.

Any part that hands a browser something it must give back unchanged (a web chat session, a
staff session) signs it here; the purpose keeps a token of one kind from passing as another.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

VERSION = "v1"
MAX_TOKEN_CHARS = 512


@dataclass(frozen=True, slots=True)
class Signed:
    """What a valid token carries."""

    value: str
    issued_at: datetime


def _encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class TokenSigner:
    """Signs and checks tokens `v1.<value>.<issued, unix seconds>.<HMAC-SHA256>` with one key."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) < 16:
            raise ValueError("a signing secret needs at least 16 bytes")
        self._secret = secret

    def _mac(self, purpose: str, body: str) -> str:
        message = f"{purpose}\n{body}".encode()
        return _encode(hmac.new(self._secret, message, hashlib.sha256).digest())

    def sign(self, purpose: str, value: str, issued_at: datetime) -> str:
        """A token for `value` (URL-safe characters, no dots), valid for `purpose` only."""
        if not value or "." in value or not value.isascii():
            raise ValueError("a signed value must be non-empty ASCII without dots")
        body = f"{VERSION}.{value}.{int(issued_at.timestamp())}"
        return f"{body}.{self._mac(purpose, body)}"

    def verify(
        self, purpose: str, token: str, now: datetime, max_age: timedelta
    ) -> Signed | None:
        """The token's value if it is ours, for `purpose`, and younger than `max_age`."""
        if not token or len(token) > MAX_TOKEN_CHARS or not token.isascii():
            return None
        body, _, mac = token.rpartition(".")
        version, _, rest = body.partition(".")
        value, _, issued = rest.rpartition(".")
        if version != VERSION or not value or not issued.isdigit():
            return None
        # Compared in constant time: a timing difference would let a forger guess byte by byte.
        if not hmac.compare_digest(mac, self._mac(purpose, body)):
            return None
        issued_at = datetime.fromtimestamp(int(issued), UTC)
        # A token from the future (a clock moved back) is tolerated by a minute only.
        if issued_at - now > timedelta(minutes=1) or now - issued_at > max_age:
            return None
        return Signed(value, issued_at)
