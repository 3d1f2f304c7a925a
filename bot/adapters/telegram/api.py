"""Calls to the Telegram Bot API: the outbox transport and one call for polling."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import aiohttp

from bot.core.adapter import OutboundRequest, SendResult, SendStatus
from bot.core.errors import TelegramApiError
from bot.core.http import call_json, retry_after_seconds

# 403 descriptions meaning this person or group cannot be messaged until they come back.
UNREACHABLE = ("blocked by the user", "user is deactivated", "kicked", "not a member")


def method_url(base_url: str, token: str, method: str) -> str:
    """`{base}/bot{token}/{method}` (the token is part of the path, so never log the URL)."""
    return f"{base_url.rstrip('/')}/bot{token}/{method.lstrip('/')}"


def classify(status: int, headers: Mapping[str, str], body: Any) -> SendResult:
    """A Bot API answer as an outbox result: 429/5xx retry, blocked users stop for good."""
    description = str(body.get("description", "")) if isinstance(body, dict) else str(body)
    if 200 <= status < 300 and isinstance(body, dict) and body.get("ok") is True:
        result = body.get("result")
        sent_id = result.get("message_id") if isinstance(result, dict) else None
        return SendResult(SendStatus.SENT, platform_message_id=_sent_id(result, sent_id))
    error = f"HTTP {status}: {description[:300]}"
    if status == 429 or status >= 500:
        return SendResult(SendStatus.RETRY, error, retry_after_seconds(headers, body))
    if status == 403:
        blocked = any(reason in description.casefold() for reason in UNREACHABLE)
        return SendResult(SendStatus.UNDELIVERABLE, error, blocked=blocked)
    return SendResult(SendStatus.FAILED, error)


def _sent_id(result: Any, message_id: Any) -> str | None:
    if not isinstance(message_id, int) or not isinstance(result, dict):
        return None
    chat = result.get("chat")
    chat_id = chat.get("id") if isinstance(chat, dict) else None
    return f"{chat_id}:{message_id}" if chat_id is not None else str(message_id)


class TelegramTransport:
    """Sends outbox rows as JSON POSTs to `{api_base_url}/bot{token}/{method}`."""

    def __init__(self, base_url: str, token: str) -> None:
        self.base_url = base_url
        self.token = token

    async def send(self, session: aiohttp.ClientSession, request: OutboundRequest) -> SendResult:
        """Send one Bot API call and classify the answer."""
        url = method_url(self.base_url, self.token, request.path)
        answer = await call_json(session, "POST", url, body=request.body)
        return classify(answer.status, answer.headers, answer.body)


async def call(
    session: aiohttp.ClientSession, base_url: str, token: str, method: str,
    params: Mapping[str, Any], *, timeout: float | None = None,
) -> Any:
    """One Bot API call's `result`; TelegramApiError if the API refuses it."""
    answer = await call_json(
        session, "POST", method_url(base_url, token, method), body=params, timeout=timeout
    )
    body = answer.body
    if isinstance(body, dict) and body.get("ok") is True:
        return body.get("result")
    description = str(body.get("description", "")) if isinstance(body, dict) else str(body)
    raise TelegramApiError(
        answer.status, description, retry_after_seconds(answer.headers, body)
    )
