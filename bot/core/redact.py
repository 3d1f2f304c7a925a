"""Masking secrets in text that leaves the process (log lines, health answers).

The configured secrets are masked wherever they appear, also JSON-escaped; token-shaped
strings that are never configured (a WeChat access token in a URL, a Telegram bot token)
are masked by their shape.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

MASK = "[redacted]"
# Shorter values are too common to mask everywhere without garbling every line.
MIN_SECRET_LENGTH = 4
# (shape, what replaces it): the first group, if any, is kept.
SHAPES = (
    # access_token=… in a query string (WeChat's API), secret=… for its token endpoint.
    (re.compile(r"([?&](?:access_token|secret|appsecret|token)=)[^&\s\"']+", re.I),
     rf"\1{MASK}"),
    # A Telegram bot token: the bot's id, a colon and 35 characters.
    (re.compile(r"(?<![0-9])\d{6,12}:[A-Za-z0-9_-]{30,}"), MASK),
    # Authorization: Bearer … as it appears in a header dump.
    (re.compile(r"(Bearer )[A-Za-z0-9._~+/=-]{8,}", re.I), rf"\1{MASK}"),
)


class Redactor:
    """Replaces known secrets and token-shaped strings with a mark."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        forms: set[str] = set()
        for secret in secrets:
            if len(secret) >= MIN_SECRET_LENGTH:
                forms.add(secret)
                forms.add(json.dumps(secret)[1:-1])  # as it appears inside a JSON string
        # Longest first, so a secret containing another is masked whole.
        self.pattern = (
            re.compile("|".join(re.escape(form) for form in sorted(forms, key=len, reverse=True)))
            if forms else None
        )

    def __call__(self, text: str) -> str:
        """`text` with every secret masked."""
        if self.pattern is not None:
            text = self.pattern.sub(MASK, text)
        for shape, replacement in SHAPES:
            text = shape.sub(replacement, text)
        return text
