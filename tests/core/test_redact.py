"""Masking secrets: configured values wherever they appear, token shapes never configured."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from bot.core.redact import MASK, Redactor


def test_configured_secrets_are_masked_also_inside_json() -> None:
    redact = Redactor(["s3cr3t-value", 'quote"and\\slash'])
    line = json.dumps({"error": 'token s3cr3t-value refused; quote"and\\slash too'})
    masked = redact(line)
    assert "s3cr3t" not in masked and "and\\\\slash" not in masked
    assert masked.count(MASK) == 2
    assert json.loads(masked)["error"] == f"token {MASK} refused; {MASK} too"


def test_token_shapes_are_masked_without_being_configured() -> None:
    redact = Redactor()
    masked = redact(
        "GET https://api.weixin.qq.com/cgi-bin/message/custom/send?access_token=ACCESS123&x=1"
        " POST /bot7123456789:AAH-fake-token-for-tests-0123456789abc/sendMessage"
        " Authorization: Bearer abcdefgh12345678 /cgi-bin/token?appid=wx1&secret=APPSECRET9"
    )
    for secret in ("ACCESS123", "AAH-fake-token", "abcdefgh12345678", "APPSECRET9"):
        assert secret not in masked
    assert "access_token=[redacted]&x=1" in masked and "appid=wx1" in masked


def test_a_secret_containing_another_is_masked_whole() -> None:
    assert Redactor(["abcd", "abcdefgh"])("x abcdefgh y") == f"x {MASK} y"


def test_very_short_values_are_not_masked_everywhere() -> None:
    assert Redactor(["ab"])("about a tab") == "about a tab"


@given(st.text(min_size=4, max_size=40), st.text(max_size=40), st.text(max_size=40))
def test_a_configured_secret_never_survives(secret: str, before: str, after: str) -> None:
    masked = Redactor([secret])(before + secret + after)
    assert MASK in masked
    assert all(secret not in piece for piece in masked.split(MASK))
