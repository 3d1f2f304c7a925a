"""Signed tokens: what verifies, and that any change, other key, purpose or age does not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.signing import TokenSigner

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
DAY = timedelta(days=1)
SIGNER = TokenSigner(b"k" * 32)


def test_a_token_verifies_for_its_purpose_until_it_is_too_old() -> None:
    token = SIGNER.sign("web-session", "vAbc_-123", NOW)
    signed = SIGNER.verify("web-session", token, NOW + DAY, 2 * DAY)
    assert signed is not None and signed.value == "vAbc_-123" and signed.issued_at == NOW
    assert SIGNER.verify("staff-session", token, NOW, DAY) is None
    assert SIGNER.verify("web-session", token, NOW + 3 * DAY, 2 * DAY) is None
    assert SIGNER.verify("web-session", token, NOW - timedelta(minutes=5), DAY) is None
    assert TokenSigner(b"j" * 32).verify("web-session", token, NOW, DAY) is None
    for bad in ("", "v1", "v1..0.x", "x" * 600, "v1.a.b.c", "v2" + token[2:], "é" + token):
        assert SIGNER.verify("web-session", bad, NOW, DAY) is None


def test_values_and_keys_are_checked() -> None:
    with pytest.raises(ValueError):
        TokenSigner(b"short")
    for value in ("", "a.b", "naïve"):
        with pytest.raises(ValueError):
            SIGNER.sign("web-session", value, NOW)


@given(st.integers(min_value=0), st.characters(min_codepoint=33, max_codepoint=126))
def test_any_changed_character_is_refused(position: int, replacement: str) -> None:
    token = SIGNER.sign("web-session", "visitor42", NOW)
    index = position % len(token)
    changed = token[:index] + replacement + token[index + 1 :]
    if changed != token:
        assert SIGNER.verify("web-session", changed, NOW, DAY) is None
