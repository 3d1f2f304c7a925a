"""WeChat's HTTP API: the shared access token and customer-service sends (platforms.md §1.7)."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import aiohttp

from bot.adapters.base import OutboundRequest, SendResult, SendStatus

if TYPE_CHECKING:
    from bot.store import Store

log = logging.getLogger(__name__)

SEND_PATH = "/cgi-bin/message/custom/send"
TOKEN_PATH = "/cgi-bin/token"
# Refresh this long before WeChat's 7200 s lapse, so no send races the expiry.
REFRESH_MARGIN = timedelta(minutes=5)
WINDOW = timedelta(hours=48)
TOKEN_ERRORS = {40001, 40014, 42001}  # invalid, malformed, expired access token
UNDELIVERABLE = {
    45015: "outside the 48-hour customer-service window",
    45047: "customer-service message quota used up",
}
NOT_FOLLOWING = 43004  # the user no longer follows the account
BUSY = -1


def is_window_open(last_inbound_at: datetime | None, now: datetime) -> bool:
    """Whether the customer wrote within the last 48 hours."""
    return last_inbound_at is not None and now - last_inbound_at < WINDOW


class TokenError(Exception):
    """The access token could not be fetched; the send is retried later."""


class AccessTokens:
    """The access token, cached in the store so every process shares one."""

    def __init__(
        self, store: Store, base_url: str, app_id: str, app_secret: str,
        now: Callable[[], datetime],
    ) -> None:
        self.store = store
        self.base_url = base_url.rstrip("/")
        self.app_id = app_id
        self.app_secret = app_secret
        self.now = now
        self.key = f"wechat:access_token:{app_id}"
        self._lock = asyncio.Lock()

    def cached(self) -> str | None:
        """The stored token, unless it lapses within the refresh margin."""
        return self.store.kv.get(self.key, self.now() + REFRESH_MARGIN)

    async def get(self, session: aiohttp.ClientSession, *, stale: str | None = None) -> str:
        """A valid token; `stale` names one WeChat just refused, forcing a refresh."""
        token = self.cached()
        if token is not None and token != stale:
            return token
        async with self._lock:
            # Another task (or process, through the store) may have refreshed meanwhile.
            token = self.cached()
            if token is not None and token != stale:
                return token
            return await self._fetch(session)

    async def _fetch(self, session: aiohttp.ClientSession) -> str:
        params = {"grant_type": "client_credential", "appid": self.app_id,
                  "secret": self.app_secret}
        async with session.get(self.base_url + TOKEN_PATH, params=params) as response:
            text = await response.text()
            if response.status != 200:
                raise TokenError(f"token endpoint answered HTTP {response.status}")
        try:
            data = json.loads(text)
        except ValueError:
            raise TokenError("token endpoint answered non-JSON") from None
        token = data.get("access_token") if isinstance(data, dict) else None
        expires_in = data.get("expires_in", 7200) if isinstance(data, dict) else 0
        if not isinstance(token, str) or not token or not isinstance(expires_in, int):
            errcode = data.get("errcode") if isinstance(data, dict) else None
            errmsg = data.get("errmsg", "") if isinstance(data, dict) else ""
            raise TokenError(f"token endpoint refused: errcode {errcode} {errmsg}".strip())
        now = self.now()
        self.store.kv.set(self.key, token, now, expires_at=now + timedelta(seconds=expires_in))
        log.info("fetched a new WeChat access token for %s", self.app_id)
        return token


def classify(errcode: int, errmsg: str) -> SendResult:
    """What a customer-service API errcode means for the outbox."""
    error = f"errcode {errcode}: {errmsg}"
    if errcode == 0:
        return SendResult(SendStatus.SENT)
    if errcode in UNDELIVERABLE:
        return SendResult(SendStatus.UNDELIVERABLE, f"{UNDELIVERABLE[errcode]} ({error})")
    if errcode == NOT_FOLLOWING:
        return SendResult(SendStatus.UNDELIVERABLE, f"user unfollowed ({error})", blocked=True)
    if errcode == BUSY or errcode in TOKEN_ERRORS:
        return SendResult(SendStatus.RETRY, error)
    return SendResult(SendStatus.FAILED, error)


class WeChatTransport:
    """Sends customer-service messages with the shared token; one refresh on a token error."""

    def __init__(self, store: Store, tokens: AccessTokens, now: Callable[[], datetime]) -> None:
        self.store = store
        self.tokens = tokens
        self.now = now

    async def send(self, session: aiohttp.ClientSession, request: OutboundRequest) -> SendResult:
        """Send one row unless the customer-service window has closed."""
        last = self.store.customers.last_inbound_at("wechat", request.user_id or request.chat_id)
        if not is_window_open(last, self.now()):
            return SendResult(SendStatus.UNDELIVERABLE, UNDELIVERABLE[45015])
        try:
            token = await self.tokens.get(session)
            result, refused = await self._post(session, request, token)
            if refused:
                token = await self.tokens.get(session, stale=token)
                result, _ = await self._post(session, request, token)
        except TokenError as error:
            return SendResult(SendStatus.RETRY, f"access token: {error}")
        return result

    async def _post(
        self, session: aiohttp.ClientSession, request: OutboundRequest, token: str
    ) -> tuple[SendResult, bool]:
        """The result, and whether WeChat refused the token itself."""
        # ensure_ascii=False: WeChat shows \\uXXXX escapes literally instead of the characters.
        body = json.dumps(dict(request.body), ensure_ascii=False).encode("utf-8")
        async with session.request(
            request.method, self.tokens.base_url + request.path,
            params={"access_token": token}, data=body,
            headers={"Content-Type": "application/json; charset=utf-8"},
        ) as response:
            text = await response.text()
            data: Any
            try:
                data = json.loads(text) if text else None
            except ValueError:
                data = text[:300]
            if not 200 <= response.status < 300:
                # Imported here: bot.outbox imports the store, which imports the registry.
                from bot.outbox import classify_http

                return classify_http(response.status, response.headers, data), False
        if not isinstance(data, dict):
            return SendResult(SendStatus.FAILED, f"unexpected answer: {text[:300]}"), False
        errcode = data.get("errcode", 0)
        if not isinstance(errcode, int):
            return SendResult(SendStatus.FAILED, f"unexpected answer: {text[:300]}"), False
        return classify(errcode, str(data.get("errmsg", ""))), errcode in TOKEN_ERRORS
