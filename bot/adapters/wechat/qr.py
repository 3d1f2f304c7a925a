"""WeChat parametric QR codes for invites: created in the background, cached per referral code.

A permanent QR code (scene `ref_<code>`) is made through WeChat's API for every referral code
that lacks one; customers asking for their invite before it exists are told it is coming.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from urllib.parse import quote

import aiohttp

from bot.adapters.wechat.api import TOKEN_ERRORS, AccessTokens
from bot.core.adapter import Invite, InviteKind
from bot.core.clock import Clock
from bot.core.errors import QrError, TokenError
from bot.core.http import call_json
from bot.core.ports import KeyValueCache
from bot.core.service import Service

log = logging.getLogger(__name__)

QR_PATH = "/cgi-bin/qrcode/create"
SHOW_URL = "https://mp.weixin.qq.com/cgi-bin/showqrcode?ticket="
KEY = "wechat:qr:ref:"
CHECK_SECONDS = 60.0
BATCH = 50
TIMEOUT = 10.0
REFERRAL_PREFIX = "ref_"

# Referral codes without a cached QR code, oldest first: (kv key prefix, limit) -> codes.
MissingCodes = Callable[[str, int], list[str]]


class InviteQrCodes(Service):
    """Creates the missing invite QR codes, a batch a round, and on demand when woken."""

    def __init__(
        self, kv: KeyValueCache, tokens: AccessTokens, clock: Clock, missing: MissingCodes,
        every: float = CHECK_SECONDS,
    ) -> None:
        super().__init__("wechat-invite-qr", every)
        self.kv = kv
        self.tokens = tokens
        self.clock = clock
        self.missing = missing
        self._session: aiohttp.ClientSession | None = None
        self._created = asyncio.Condition()

    def cached_url(self, code: str) -> str | None:
        """The image URL of the invite QR code for `code`, once it has been created."""
        return self.kv.get(KEY + code)

    async def open(self) -> None:
        """Open the HTTP session the rounds use."""
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=TIMEOUT))

    async def close(self) -> None:
        """Close the session; codes still without a QR code are picked up at the next start."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def ready(self, code: str, timeout: float = 10.0) -> str:
        """Wait until the QR code for `code` exists; its image URL."""
        async with self._created:
            await asyncio.wait_for(
                self._created.wait_for(lambda: self.cached_url(code) is not None), timeout
            )
        return self.cached_url(code) or ""

    async def round(self) -> float | None:
        """One batch of missing QR codes."""
        if self._session is not None:
            await self.run_once(self._session)
        return None

    async def run_once(self, session: aiohttp.ClientSession) -> int:
        """Create the missing QR codes; returns how many were created (stops at a failure)."""
        created = 0
        for code in self.missing(KEY, BATCH):
            try:
                ticket = await self._create(session, code)
            except (QrError, TokenError, aiohttp.ClientError, TimeoutError) as error:
                log.warning("WeChat invite QR code for %s not created: %s", code, error)
                break
            self.kv.set(KEY + code, SHOW_URL + quote(ticket, safe=""), self.clock.now())
            created += 1
            async with self._created:
                self._created.notify_all()
        return created

    async def _create(self, session: aiohttp.ClientSession, code: str) -> str:
        body: dict[str, object] = {"action_name": "QR_LIMIT_STR_SCENE",
                                   "action_info": {"scene": {"scene_str": f"ref_{code}"}}}
        token = await self.tokens.get(session)
        data = await self._post(session, body, token)
        if data.get("errcode") in TOKEN_ERRORS:
            data = await self._post(session, body, await self.tokens.get(session, stale=token))
        ticket = data.get("ticket")
        if not isinstance(ticket, str) or not ticket:
            raise QrError(f"errcode {data.get('errcode')}: {data.get('errmsg', '')}")
        return ticket

    async def _post(
        self, session: aiohttp.ClientSession, body: dict[str, object], token: str
    ) -> dict[str, object]:
        answer = await call_json(
            session, "POST", self.tokens.base_url + QR_PATH, body=body,
            params={"access_token": token},
        )
        if answer.status != 200:
            raise QrError(f"HTTP {answer.status}")
        if not isinstance(answer.body, dict):
            shown = "non-JSON answer" if isinstance(answer.body, str) else "unexpected answer"
            raise QrError(shown)
        return answer.body


class WeChatPlatform:
    """What WeChat offers features: a parametric QR code per referral, or the code to type."""

    name = "wechat"
    arrives_by_message = False  # following the account is an event

    def __init__(self, qr: InviteQrCodes | None) -> None:
        self.qr = qr

    def invite(self, payload: str, prefill: str) -> Invite | None:
        """The QR code's image (made in the background), or the code to type after following."""
        if self.qr is None:
            return Invite(InviteKind.CODE)
        code = payload.removeprefix(REFERRAL_PREFIX)
        url = self.qr.cached_url(code)
        if url:
            return Invite(InviteKind.QR, url)
        self.qr.wake()  # created through WeChat's API by the service, not here
        return Invite(InviteKind.PREPARING)
