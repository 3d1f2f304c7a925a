"""WeChat's HTTP API: the shared access token, customer-service sends, template messages and
subscribe notifications; and what kind of account this is (one refused the customer-service
API with 48001 has none, and its replies are held for a passive answer).

Facts in docs/platforms.md §1.7 and §1.9–1.10.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime, timedelta

import aiohttp

from bot.core.adapter import OutboundRequest, SendResult, SendStatus
from bot.core.errors import MediaError, TokenError
from bot.core.http import call_json, classify_http
from bot.core.message import Reply
from bot.core.ports import InboundTimes, KeyValueCache

log = logging.getLogger(__name__)

SEND_PATH = "/cgi-bin/message/custom/send"
TEMPLATE_PATH = "/cgi-bin/message/template/send"
SUBSCRIBE_PATH = "/cgi-bin/message/subscribe/bizsend"
TOKEN_PATH = "/cgi-bin/token"
# Refresh this long before WeChat's 7200 s lapse, so no send races the expiry.
REFRESH_MARGIN = timedelta(minutes=5)
WINDOW = timedelta(hours=48)
# How long one process may take to fetch a token before another stops waiting for it and
# fetches one itself (a process killed mid-fetch holds nobody up for longer).
FETCH_LEASE = timedelta(seconds=10)
FETCH_POLL_SECONDS = 0.05
TOKEN_ERRORS = {40001, 40014, 42001}  # invalid, malformed, expired access token
UNDELIVERABLE = {
    45015: "outside the 48-hour customer-service window",
    45047: "customer-service message quota used up",
}
NOT_FOLLOWING = 43004  # the user no longer follows the account
NOT_SUBSCRIBED = 43101  # the user did not accept (or cancelled) this subscribe notification
UNAUTHORIZED = 48001  # "api unauthorized": the account lacks this API
BUSY = -1
HELD_NOTE = "this account cannot send customer-service messages: kept for the next message"


class AccountKind:
    """Whether the account has the customer-service API: configured, or learnt from a 48001
    (remembered in the shared store, so every process and the next start know it)."""

    def __init__(self, kv: KeyValueCache, app_id: str, configured: str,
                 now: Callable[[], datetime]) -> None:
        self.kv = kv
        self.configured = configured
        self.key = f"wechat:account:{app_id}"
        self.now = now

    def holds_replies(self) -> bool:
        """True for a subscription account: replies can go only in a passive answer."""
        return self.configured == "subscription" or self.kv.get(self.key) == "subscription"

    def learn_subscription(self) -> None:
        """WeChat refused the customer-service API: from now on replies wait for a passive
        answer."""
        if self.kv.get(self.key) != "subscription":
            log.warning("WeChat refused the customer-service API (48001): treating the account"
                        " as a subscription account; replies now wait for a passive answer")
            self.kv.set(self.key, "subscription", self.now())


def replies_of(body: object) -> tuple[Reply, ...]:
    """What a customer-service send says, as replies (to give in a passive answer instead)."""
    if not isinstance(body, dict):
        return ()
    kind = body.get("msgtype")
    text = body.get("text")
    if kind == "text" and isinstance(text, dict):
        return (Reply(text=str(text.get("content", ""))),)
    image = body.get("image")
    if kind == "image" and isinstance(image, dict) and image.get("url"):
        return (Reply(image_url=str(image["url"])),)
    return ()


def is_window_open(last_inbound_at: datetime | None, now: datetime) -> bool:
    """Whether the customer wrote within the last 48 hours."""
    return last_inbound_at is not None and now - last_inbound_at < WINDOW


class AccessTokens:
    """The access token, cached in the shared key-value store so every process uses one."""

    def __init__(
        self, kv: KeyValueCache, base_url: str, app_id: str, app_secret: str,
        now: Callable[[], datetime],
    ) -> None:
        self.kv = kv
        self.base_url = base_url.rstrip("/")
        self.app_id = app_id
        self.app_secret = app_secret
        self.now = now
        self.key = f"wechat:access_token:{app_id}"
        self._lock = asyncio.Lock()

    def cached(self) -> str | None:
        """The stored token, unless it lapses within the refresh margin."""
        return self.kv.get(self.key, self.now() + REFRESH_MARGIN)

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
            return await self._fetch_once(session, stale)

    async def _fetch_once(self, session: aiohttp.ClientSession, stale: str | None) -> str:
        """Fetch a token, unless another process is fetching one: then wait for that one.

        Each fetch makes WeChat retire the token before it, so instances sharing a store
        take turns through a lease in it (`kv.add` is atomic across processes) instead of
        each fetching its own and cutting the others' sends off with "invalid token".
        """
        fetching = self.key + ":fetching"
        waited_until = time.monotonic() + FETCH_LEASE.total_seconds()
        while True:
            now = self.now()
            if self.kv.add(fetching, "1", now, expires_at=now + FETCH_LEASE):
                try:
                    return await self._fetch(session)
                finally:
                    self.kv.delete(fetching)
            await asyncio.sleep(FETCH_POLL_SECONDS)
            token = self.cached()
            if token is not None and token != stale:
                return token
            if time.monotonic() > waited_until:
                # The other process never finished (it died, or its clock is far off).
                log.warning("another process held the WeChat token fetch for %.0f s:"
                            " fetching here", FETCH_LEASE.total_seconds())
                self.kv.delete(fetching)
                waited_until = time.monotonic() + FETCH_LEASE.total_seconds()

    async def _fetch(self, session: aiohttp.ClientSession) -> str:
        params = {"grant_type": "client_credential", "appid": self.app_id,
                  "secret": self.app_secret}
        answer = await call_json(session, "GET", self.base_url + TOKEN_PATH, params=params)
        if answer.status != 200:
            raise TokenError(f"token endpoint answered HTTP {answer.status}")
        data = answer.body
        if not isinstance(data, dict):
            raise TokenError("token endpoint answered non-JSON")
        token = data.get("access_token")
        expires_in = data.get("expires_in", 7200)
        if not isinstance(token, str) or not token or not isinstance(expires_in, int):
            errcode = data.get("errcode")
            errmsg = data.get("errmsg", "")
            raise TokenError(f"token endpoint refused: errcode {errcode} {errmsg}".strip())
        now = self.now()
        self.kv.set(self.key, token, now, expires_at=now + timedelta(seconds=expires_in))
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
    if errcode == NOT_SUBSCRIBED:
        return SendResult(SendStatus.UNDELIVERABLE,
                          f"the customer has not accepted this notification ({error})")
    if errcode == BUSY or errcode in TOKEN_ERRORS:
        return SendResult(SendStatus.RETRY, error)
    return SendResult(SendStatus.FAILED, error)


class WeChatTransport:
    """Sends customer-service messages, templates and subscribe notifications with the shared
    token; one refresh on a token error."""

    def __init__(
        self, inbound: InboundTimes, tokens: AccessTokens, now: Callable[[], datetime],
        account: AccountKind | None = None,
        images: Callable[[aiohttp.ClientSession, str], Awaitable[str]] | None = None,
    ) -> None:
        self.inbound = inbound
        self.tokens = tokens
        self.now = now
        # Without one given: a service account, until WeChat says otherwise.
        self.account = account or AccountKind(tokens.kv, tokens.app_id, "service", now)
        self.images = images

    async def _with_media(
        self, session: aiohttp.ClientSession, request: OutboundRequest
    ) -> tuple[OutboundRequest, str]:
        """An image reply (stored with its URL) as an image message with its media id; an
        image WeChat can never take goes as its link instead, and the note says so."""
        image = request.body.get("image")
        if request.body.get("msgtype") != "image" or not isinstance(image, dict) or (
            "url" not in image
        ):
            return request, ""
        url = str(image["url"])
        try:
            if self.images is None:
                raise MediaError("no media uploads for this transport", permanent=True)
            media_id = await self.images(session, url)
        except MediaError as error:
            if not error.permanent:
                raise
            text = {"touser": request.body.get("touser"), "msgtype": "text",
                    "text": {"content": url}}
            return replace(request, body=text), f"sent the image's link instead: {error}"
        body = {"touser": request.body.get("touser"), "msgtype": "image",
                "image": {"media_id": media_id}}
        return replace(request, body=body), ""

    async def send(self, session: aiohttp.ClientSession, request: OutboundRequest) -> SendResult:
        """Send one row: a customer-service message only within the window, and never on an
        account without that API (it is held for a passive answer instead)."""
        note = ""
        if request.path == SEND_PATH:
            if self.account.holds_replies():
                return SendResult(SendStatus.HELD, HELD_NOTE, held=replies_of(request.body))
            last = self.inbound.last_inbound_at("wechat", request.user_id or request.chat_id)
            if not is_window_open(last, self.now()):
                return SendResult(SendStatus.UNDELIVERABLE, UNDELIVERABLE[45015])
            try:
                request, note = await self._with_media(session, request)
            except MediaError as error:
                return SendResult(SendStatus.RETRY, f"image: {error}")
            except TokenError as error:
                return SendResult(SendStatus.RETRY, f"access token: {error}")
        result = await self._send(session, request)
        if note and result.status is SendStatus.SENT:
            return replace(result, error=note)
        if request.path == SEND_PATH and result.error.startswith(f"errcode {UNAUTHORIZED}:"):
            self.account.learn_subscription()
            return SendResult(SendStatus.HELD, f"{HELD_NOTE} ({result.error})",
                              held=replies_of(request.body))
        return result

    async def _send(self, session: aiohttp.ClientSession, request: OutboundRequest) -> SendResult:
        """POST the row with the shared token, refreshing it once if WeChat refuses it."""
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
        answer = await call_json(
            session, request.method, self.tokens.base_url + request.path, body=request.body,
            params={"access_token": token},
        )
        if not answer.ok:
            return classify_http(answer.status, answer.headers, answer.body), False
        data = answer.body
        errcode = data.get("errcode", 0) if isinstance(data, dict) else None
        if not isinstance(data, dict) or not isinstance(errcode, int):
            return SendResult(SendStatus.FAILED, f"unexpected answer: {answer.text[:300]}"), False
        return classify(errcode, str(data.get("errmsg", ""))), errcode in TOKEN_ERRORS
