"""WeChat parametric QR codes for invites: created in the background, cached per referral code."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from urllib.parse import quote

import aiohttp

from bot.adapters.base import Adapter
from bot.adapters.wechat import WeChatAdapter
from bot.adapters.wechat_api import AccessTokens, TokenError
from bot.clock import Clock
from bot.periodic import cancel
from bot.store import Store

log = logging.getLogger(__name__)

QR_PATH = "/cgi-bin/qrcode/create"
SHOW_URL = "https://mp.weixin.qq.com/cgi-bin/showqrcode?ticket="
KEY = "wechat:qr:ref:"
CHECK_SECONDS = 60.0
BATCH = 50
TIMEOUT = aiohttp.ClientTimeout(total=10)


class QrError(Exception):
    """WeChat did not create the QR code; tried again on the next round."""


def cached_url(store: Store, code: str) -> str | None:
    """The image URL of the invite QR code for `code`, once it has been created."""
    return store.kv.get(KEY + code)


class InviteQrCodes:
    """Creates a permanent QR code (scene `ref_<code>`) for every referral code that lacks one."""

    def __init__(
        self, store: Store, tokens: AccessTokens, clock: Clock, every: float = CHECK_SECONDS
    ) -> None:
        self.store = store
        self.tokens = tokens
        self.clock = clock
        self.every = every
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None
        self._created = asyncio.Condition()

    def wake(self) -> None:
        """A customer is waiting for a QR code: create it now rather than on the next round."""
        self._wake.set()

    async def start(self) -> None:
        """Open a session and start creating missing QR codes."""
        self._session = aiohttp.ClientSession(timeout=TIMEOUT)
        self._task = asyncio.create_task(self._run(), name="wechat-invite-qr")

    async def stop(self) -> None:
        """Stop; codes still without a QR code are picked up at the next start."""
        await cancel(self._task)
        self._task = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def ready(self, code: str, timeout: float = 10.0) -> str:
        """Wait until the QR code for `code` exists; its image URL."""
        async with self._created:
            await asyncio.wait_for(
                self._created.wait_for(lambda: cached_url(self.store, code) is not None),
                timeout,
            )
        return cached_url(self.store, code) or ""

    def missing(self) -> list[str]:
        """Referral codes without a cached QR code, oldest first."""
        rows = self.store.db.query(
            "SELECT code FROM referral_codes WHERE NOT EXISTS"
            " (SELECT 1 FROM kv WHERE kv.key = ? || referral_codes.code)"
            " ORDER BY created_at, code LIMIT ?",
            [KEY, BATCH],
        )
        return [str(row["code"]) for row in rows]

    async def run_once(self, session: aiohttp.ClientSession) -> int:
        """Create the missing QR codes; returns how many were created (stops at a failure)."""
        created = 0
        for code in self.missing():
            try:
                ticket = await self._create(session, code)
            except (QrError, TokenError, aiohttp.ClientError, TimeoutError) as error:
                log.warning("WeChat invite QR code for %s not created: %s", code, error)
                break
            self.store.kv.set(KEY + code, SHOW_URL + quote(ticket, safe=""), self.clock.now())
            created += 1
            async with self._created:
                self._created.notify_all()
        return created

    async def _create(self, session: aiohttp.ClientSession, code: str) -> str:
        body: dict[str, object] = {"action_name": "QR_LIMIT_STR_SCENE",
                "action_info": {"scene": {"scene_str": f"ref_{code}"}}}
        token = await self.tokens.get(session)
        data = await self._post(session, body, token)
        if data.get("errcode") in (40001, 40014, 42001):
            data = await self._post(session, body, await self.tokens.get(session, stale=token))
        ticket = data.get("ticket")
        if not isinstance(ticket, str) or not ticket:
            raise QrError(f"errcode {data.get('errcode')}: {data.get('errmsg', '')}")
        return ticket

    async def _post(
        self, session: aiohttp.ClientSession, body: dict[str, object], token: str
    ) -> dict[str, object]:
        async with session.post(
            self.tokens.base_url + QR_PATH, params={"access_token": token},
            data=json.dumps(body).encode(), headers={"Content-Type": "application/json"},
        ) as response:
            text = await response.text()
            if response.status != 200:
                raise QrError(f"HTTP {response.status}")
        try:
            data = json.loads(text)
        except ValueError:
            raise QrError("non-JSON answer") from None
        if not isinstance(data, dict):
            raise QrError("unexpected answer")
        return data

    async def _run(self) -> None:
        while True:
            if self._session is not None:
                try:
                    await self.run_once(self._session)
                except Exception:
                    log.exception("WeChat invite QR round failed")
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.every)


def build_invite_qr(
    store: Store, webhooks: dict[str, Adapter], clock: Clock
) -> InviteQrCodes | None:
    """The QR service when WeChat is enabled with an app secret (needed for the API)."""
    adapter = webhooks.get("wechat")
    if not isinstance(adapter, WeChatAdapter) or not adapter.settings.app_secret:
        return None
    return InviteQrCodes(store, adapter.tokens, clock)
