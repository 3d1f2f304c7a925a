"""The one outbound HTTP helper: send JSON, read the answer, classify it, honour Retry-After.

Every platform API (Telegram, WeChat, WhatsApp) and the generic outbox transport call out
through `call_json`, so timeouts, undecodable answers and wait hints are read one way.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp

from bot.core.adapter import OutboundRequest, SendResult, SendStatus

ERROR_TEXT = 300  # how much of an unexpected answer is kept for operators


@dataclass(frozen=True, slots=True)
class HttpAnswer:
    """What a server answered: status, headers, and the body as JSON when it was JSON."""

    status: int
    headers: Mapping[str, str]
    body: Any  # decoded JSON; the text itself (cut short) when not JSON; None when empty
    text: str

    @property
    def ok(self) -> bool:
        """A 2xx status."""
        return 200 <= self.status < 300


def encode_json(body: Mapping[str, Any]) -> bytes:
    """UTF-8 JSON with characters as they are (WeChat shows \\uXXXX escapes literally)."""
    return json.dumps(dict(body), ensure_ascii=False).encode("utf-8")


async def call_json(
    session: aiohttp.ClientSession, method: str, url: str, *,
    body: Mapping[str, Any] | None = None, params: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None, timeout: float | None = None,
) -> HttpAnswer:
    """Send `body` as JSON (or nothing) and read the whole answer.

    Raises aiohttp.ClientError or TimeoutError when no answer arrives; callers decide
    whether that means "retry".
    """
    sent_headers = dict(headers or {})
    data = None
    if body is not None:
        sent_headers.setdefault("Content-Type", "application/json; charset=utf-8")
        data = encode_json(body)
    # No timeout given: the session's own (passing None would switch timeouts off).
    extra: dict[str, Any] = {}
    if timeout is not None:
        extra["timeout"] = aiohttp.ClientTimeout(total=timeout)
    async with session.request(
        method, url, data=data, params=dict(params or {}), headers=sent_headers, **extra
    ) as response:
        raw = await response.read()
        return _answer(response.status, response.headers, raw)


def _answer(status: int, headers: Mapping[str, str], raw: bytes) -> HttpAnswer:
    """An answer's body decoded: JSON when it is JSON, else its text cut short."""
    text = raw.decode("utf-8", "replace")
    decoded: Any = None
    if text:
        try:
            decoded = json.loads(text)
        except ValueError:
            decoded = text[:ERROR_TEXT]
    return HttpAnswer(status, headers, decoded, text)


async def fetch_bytes(
    session: aiohttp.ClientSession, url: str, *, max_bytes: int
) -> tuple[int, str, bytes]:
    """GET a file: (status, content type, body); ValueError when it is over `max_bytes`.

    Raises aiohttp.ClientError or TimeoutError when no answer arrives.
    """
    async with session.get(url) as response:
        if response.content_length is not None and response.content_length > max_bytes:
            raise ValueError(f"{response.content_length} bytes, over {max_bytes}")
        body = await response.content.read(max_bytes + 1)
        if len(body) > max_bytes:
            raise ValueError(f"over {max_bytes} bytes")
        return response.status, response.content_type, body


async def upload_file(
    session: aiohttp.ClientSession, url: str, *, field: str, filename: str, content: bytes,
    content_type: str, params: Mapping[str, str] | None = None,
) -> HttpAnswer:
    """POST one file as multipart/form-data (WeChat's media upload) and read the answer."""
    form = aiohttp.FormData()
    form.add_field(field, content, filename=filename, content_type=content_type)
    async with session.post(url, data=form, params=dict(params or {})) as response:
        return _answer(response.status, response.headers, await response.read())


def retry_after_seconds(headers: Mapping[str, str], body: Any) -> float | None:
    """A server's requested wait: JSON `parameters.retry_after` or `retry_after`, else the
    Retry-After header in seconds (an HTTP date is not honoured: backoff decides then)."""
    if isinstance(body, dict):
        parameters = body.get("parameters")
        value = parameters.get("retry_after") if isinstance(parameters, dict) else None
        value = value if value is not None else body.get("retry_after")
        if isinstance(value, int | float) and not isinstance(value, bool):
            return max(0.0, float(value))
    header = headers.get("Retry-After")
    if header:
        with contextlib.suppress(ValueError):
            return max(0.0, float(header))
    return None


def describe(answer: HttpAnswer) -> str:
    """A short line for operators: the status and the start of the body."""
    shown = answer.body if isinstance(answer.body, str) else json.dumps(
        answer.body, ensure_ascii=False
    )
    return f"HTTP {answer.status}: {shown[:ERROR_TEXT]}"


def classify_http(status: int, headers: Mapping[str, str], body: Any) -> SendResult:
    """The generic reading of an HTTP answer: 2xx sent, 429/5xx retry, other 4xx refused."""
    if 200 <= status < 300:
        return SendResult(SendStatus.SENT)
    error = f"HTTP {status}: {json.dumps(body, ensure_ascii=False)[:ERROR_TEXT]}"
    if status == 429 or status >= 500:
        return SendResult(SendStatus.RETRY, error, retry_after_seconds(headers, body))
    return SendResult(SendStatus.FAILED, error)


class HttpTransport:
    """POSTs a row's JSON body to base_url + path with fixed headers (any JSON API)."""

    def __init__(self, base_url: str, headers: Mapping[str, str] | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.headers = dict(headers or {})

    async def send(self, session: aiohttp.ClientSession, request: OutboundRequest) -> SendResult:
        """Send one request and classify the answer."""
        answer = await call_json(
            session, request.method, self.base_url + request.path, body=request.body,
            headers=self.headers,
        )
        return classify_http(answer.status, answer.headers, answer.body)
