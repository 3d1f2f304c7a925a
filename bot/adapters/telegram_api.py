"""Calls to the Telegram Bot API: the outbox transport and a small client for polling."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import aiohttp

from bot.adapters.base import OutboundRequest, SendResult, SendStatus

# 403 descriptions meaning this person or group cannot be messaged until they come back.
UNREACHABLE = ("blocked by the user", "user is deactivated", "kicked", "not a member")


class TelegramApiError(Exception):
    """The Bot API answered `ok: false` (or not JSON); `retry_after` is set for 429."""

    def __init__(self, status: int, description: str, retry_after: float | None = None) -> None:
        super().__init__(f"HTTP {status}: {description}")
        self.status = status
        self.description = description
        self.retry_after = retry_after


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


def retry_after_seconds(headers: Mapping[str, str], body: Any) -> float | None:
    """The wait a 429 asks for: `parameters.retry_after`, else a Retry-After header."""
    parameters = body.get("parameters") if isinstance(body, dict) else None
    value = parameters.get("retry_after") if isinstance(parameters, dict) else None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return max(0.0, float(value))
    header = headers.get("Retry-After", "")
    return max(0.0, float(header)) if header.isdigit() else None


def _sent_id(result: Any, message_id: Any) -> str | None:
    if not isinstance(message_id, int) or not isinstance(result, dict):
        return None
    chat = result.get("chat")
    chat_id = chat.get("id") if isinstance(chat, dict) else None
    return f"{chat_id}:{message_id}" if chat_id is not None else str(message_id)


async def _read(response: aiohttp.ClientResponse) -> Any:
    text = await response.text()
    try:
        return json.loads(text) if text else None
    except ValueError:
        return text[:300]


class TelegramTransport:
    """Sends outbox rows as JSON POSTs to `{api_base_url}/bot{token}/{method}`."""

    def __init__(self, base_url: str, token: str) -> None:
        self.base_url = base_url
        self.token = token

    async def send(self, session: aiohttp.ClientSession, request: OutboundRequest) -> SendResult:
        """Send one Bot API call and classify the answer."""
        url = method_url(self.base_url, self.token, request.path)
        async with session.post(url, json=dict(request.body)) as response:
            return classify(response.status, response.headers, await _read(response))


async def call(
    session: aiohttp.ClientSession, base_url: str, token: str, method: str,
    params: Mapping[str, Any], *, timeout: float | None = None,
) -> Any:
    """One Bot API call's `result`; TelegramApiError if the API refuses it."""
    client_timeout = aiohttp.ClientTimeout(total=timeout) if timeout is not None else None
    async with session.post(
        method_url(base_url, token, method), json=dict(params), timeout=client_timeout
    ) as response:
        body = await _read(response)
    if isinstance(body, dict) and body.get("ok") is True:
        return body.get("result")
    description = str(body.get("description", "")) if isinstance(body, dict) else str(body)
    raise TelegramApiError(
        response.status, description, retry_after_seconds(response.headers, body)
    )
