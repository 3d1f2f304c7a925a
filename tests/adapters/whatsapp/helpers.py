"""Signing and configuring for the WhatsApp tests."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from bot.core.adapter import InboundRequest
from tests.helpers.paths import FIXTURES as ALL_FIXTURES

APP_SECRET = "test-app-secret"
VERIFY_TOKEN = "test-verify-token"
PHONE_NUMBER_ID = "106540352242922"
FIXTURES = ALL_FIXTURES / "whatsapp"
ENV = {
    "WA_TOKEN": "test-access-token",
    "WA_APP_SECRET": APP_SECRET,
    "WA_VERIFY_TOKEN": VERIFY_TOKEN,
}


def settings_table(base_url: str = "http://127.0.0.1:9", **extra: Any) -> dict[str, Any]:
    """A [platforms.whatsapp] table for tests, pointed at `base_url`."""
    return {
        "enabled": True,
        "phone_number_id": PHONE_NUMBER_ID,
        "access_token_env": "WA_TOKEN",
        "app_secret_env": "WA_APP_SECRET",
        "verify_token_env": "WA_VERIFY_TOKEN",
        "api_base_url": base_url,
        "api_version": "v26.0",
        **extra,
    }


def signature(body: bytes, secret: str = APP_SECRET) -> str:
    """The X-Hub-Signature-256 value Meta would send."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signed(body: bytes) -> InboundRequest:
    """A POST as Meta would deliver it."""
    return InboundRequest(
        "POST", "/webhooks/whatsapp", {}, {"x-hub-signature-256": signature(body)}, body
    )


def fixture(name: str) -> bytes:
    """The raw bytes of one fixture file."""
    return (FIXTURES / name).read_bytes()


def escaped_fixture() -> bytes:
    """text.json with its Chinese written as \\uXXXX escapes, the way Meta serialises it."""
    text = fixture("text.json").decode()
    return text.replace("多久发货？", "\\u591a\\u4e45\\u53d1\\u8d27\\uff1f").encode()
