"""Sending to the WhatsApp Cloud API: the 24-hour window, templates, Graph error classes.

Outside the customer-service window a free-form send is refused by Meta (131047), so it is
never attempted: it becomes the configured template, or is marked undeliverable with why.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import aiohttp

from bot.adapters.whatsapp.render import template_body
from bot.core.adapter import OutboundRequest, SendResult, SendStatus
from bot.core.clock import Clock, iso
from bot.core.http import call_json, retry_after_seconds
from bot.core.ports import InboundTimes, KeyValueCache

log = logging.getLogger(__name__)

NAME = "whatsapp"
WINDOW = timedelta(hours=24)
TEMPLATE_MEMORY = timedelta(days=30)
# Throughput (130429), pair rate (131056), app/account rate limits (4, 80007) and Meta's
# own transient failures (1, 2, 131000) pass: try again later.
RETRY_CODES = {1, 2, 4, 80007, 130429, 131000, 131056}
# Re-engagement (131047: window closed), receiver incapable (131026), marketing opt-out
# (131050) and BSUID not supported (131062): this customer cannot be reached this way.
UNDELIVERABLE_CODES = {131026, 131047, 131050, 131062}


def window_open(last_inbound_at: datetime | None, now: datetime) -> bool:
    """Whether the customer wrote within the last 24 hours."""
    return last_inbound_at is not None and now - last_inbound_at < WINDOW


def classify_graph(status: int, headers: Mapping[str, str], body: Any) -> SendResult:
    """The outcome of one Graph API answer: sent with its wamid, retry, or refused."""
    if 200 <= status < 300:
        messages = body.get("messages") if isinstance(body, dict) else None
        first = messages[0] if isinstance(messages, list) and messages else {}
        wamid = first.get("id") if isinstance(first, dict) else None
        return SendResult(SendStatus.SENT, platform_message_id=str(wamid) if wamid else None)
    error = body.get("error") if isinstance(body, dict) else None
    error = error if isinstance(error, dict) else {}
    code = error.get("code") if isinstance(error.get("code"), int) else None
    data = error.get("error_data")
    details = data.get("details") if isinstance(data, dict) else None
    text = str(error.get("message") or json.dumps(body, ensure_ascii=False)[:200])
    if details:
        text = f"{text} ({details})"
    message = f"HTTP {status}, Graph error {code}: {text}" if code else f"HTTP {status}: {text}"
    if status == 429 or status >= 500 or code in RETRY_CODES:
        return SendResult(SendStatus.RETRY, message, retry_after_seconds(headers, None))
    if code in UNDELIVERABLE_CODES:
        return SendResult(SendStatus.UNDELIVERABLE, message)
    return SendResult(SendStatus.FAILED, message)


@dataclass(frozen=True, slots=True)
class WindowPolicy:
    """What to send instead of a free-form message outside the window."""

    template: str = ""
    language: str = "en"


class WhatsAppTransport:
    """POSTs rows to {api_base_url}/{version}/{phone_number_id}/messages with the token."""

    def __init__(
        self, base_url: str, access_token: str, policy: WindowPolicy, *,
        kv: KeyValueCache, inbound: InboundTimes, clock: Clock,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.headers = {"Authorization": f"Bearer {access_token}"}
        self.policy = policy
        self.kv = kv
        self.inbound = inbound
        self.clock = clock

    async def send(self, session: aiohttp.ClientSession, request: OutboundRequest) -> SendResult:
        """Send one row, unless the window is closed; then the template or undeliverable."""
        body = dict(request.body)
        note = ""
        now = self.clock.now()
        # Templates may go outside the window; a read receipt is for a message just handled.
        if body.get("type") != "template" and "status" not in body:
            last = self.inbound.last_inbound_at(NAME, request.user_id or request.chat_id)
            if not window_open(last, now):
                outside = self._outside_window(request, last)
                if isinstance(outside, SendResult):
                    return outside
                body, note = outside
        result = await self._post(session, request.path, body)
        if note and result.status is SendStatus.SENT:
            self._remember_template(request, now)
            wamid = result.platform_message_id
            return SendResult(SendStatus.SENT, note, platform_message_id=wamid)
        return result

    async def _post(
        self, session: aiohttp.ClientSession, path: str, body: Mapping[str, Any]
    ) -> SendResult:
        answer = await call_json(
            session, "POST", self.base_url + path, body=body, headers=self.headers
        )
        return classify_graph(answer.status, answer.headers, answer.body)

    def _template_key(self, request: OutboundRequest) -> str:
        return f"whatsapp:template:{request.user_id or request.chat_id}"

    def _outside_window(
        self, request: OutboundRequest, last: datetime | None
    ) -> SendResult | tuple[dict[str, Any], str]:
        """The template body (sent once per closed window) or why nothing can be sent."""
        since = f"last wrote {iso(last)}" if last else "never wrote to us"
        reason = f"outside the 24-hour window (the customer {since})"
        if not self.policy.template:
            return SendResult(
                SendStatus.UNDELIVERABLE, f"{reason}; no window_template configured"
            )
        stamp = iso(last) if last else "never"
        if self.kv.get(self._template_key(request)) == stamp:
            return SendResult(
                SendStatus.UNDELIVERABLE,
                f"{reason}; template {self.policy.template!r} already sent since then",
            )
        recipient = str(request.body.get("to") or request.body.get("recipient") or "")
        body = template_body(recipient, self.policy.template, self.policy.language)
        return body, f"{reason}: sent template {self.policy.template!r} instead"

    def _remember_template(self, request: OutboundRequest, now: datetime) -> None:
        last = self.inbound.last_inbound_at(NAME, request.user_id or request.chat_id)
        self.kv.set(
            self._template_key(request), iso(last) if last else "never", now,
            expires_at=now + TEMPLATE_MEMORY,
        )
        log.info("whatsapp: sent the re-engagement template instead of a free-form message")
