"""getUpdates long polling: for trying the bot from a laptop with no public URL.

Each update is handed to the sink (which records it durably) before the offset moves past
it, and the offset is kept in the shared key-value store: a restart neither loses nor
repeats an update.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from typing import Any

import aiohttp

from bot.adapters.telegram.api import call
from bot.adapters.telegram.update import ALLOWED_UPDATES
from bot.config.telegram import TelegramSettings
from bot.core.clock import Clock
from bot.core.errors import PayloadError, StoreBusy, TelegramApiError
from bot.core.message import Message
from bot.core.ports import KeyValueCache, UpdateSink

log = logging.getLogger(__name__)

OFFSET_KEY = "telegram:offset:{bot_id}"
MAX_BACKOFF_SECONDS = 30.0


class Poller:
    """Fetches updates, hands each one's messages to the sink, then moves the offset on."""

    def __init__(
        self, settings: TelegramSettings, parse: Callable[[object], list[Message]],
        sink: UpdateSink, kv: KeyValueCache, clock: Clock,
    ) -> None:
        self.settings = settings
        self.parse = parse
        self.sink = sink
        self.kv = kv
        self.clock = clock
        # Per bot (the token starts with its id): a new token must not inherit an offset.
        self.offset_key = OFFSET_KEY.format(bot_id=settings.token.partition(":")[0])
        self.failing: str | None = None  # why the latest getUpdates failed (None: it worked)

    @property
    def offset(self) -> int:
        """The first update id not yet recorded (0: ask Telegram for the oldest it has)."""
        return int(self.kv.get(self.offset_key) or 0)

    async def run(self) -> None:
        """Poll until cancelled; API and network failures back off and try again."""
        timeout = aiohttp.ClientTimeout(total=self.settings.poll_timeout_seconds + 30)
        failures = 0
        async with aiohttp.ClientSession(timeout=timeout) as session:
            while True:
                try:
                    # The offset tells Telegram what we have: only once it is durable.
                    await self.sink.committed()
                except StoreBusy:
                    await asyncio.sleep(1.0)  # lost with its updates: fetched again
                    continue
                params = {
                    "offset": self.offset,
                    "timeout": self.settings.poll_timeout_seconds,
                    "allowed_updates": list(ALLOWED_UPDATES),
                }
                try:
                    updates = await call(
                        session, self.settings.api_base_url, self.settings.token,
                        "getUpdates", params,
                    )
                except (TelegramApiError, aiohttp.ClientError, TimeoutError) as error:
                    failures += 1
                    self.failing = describe_failure(error, failures)
                    await asyncio.sleep(self._backoff(error, failures))
                    continue
                failures = 0
                self.failing = None
                self.take(updates if isinstance(updates, list) else [])

    def take(self, updates: list[Any]) -> None:
        """Hand every update to the sink, then move the offset on.

        Nothing here awaits, so cancellation cannot fall between a record and its offset.
        """
        for update in updates:
            update_id = update.get("update_id") if isinstance(update, dict) else None
            if not isinstance(update_id, int) or isinstance(update_id, bool):
                log.warning("telegram update without an update_id skipped")
                continue
            try:
                messages = self.parse(update)
            except PayloadError as error:
                log.warning("unparseable telegram update %d kept as a dead letter: %s",
                            update_id, error)
                self.sink.dead_letter("telegram", str(error), json.dumps(update).encode())
                messages = []
            self.sink.take(messages)
            # The id just taken plus one, as the Bot API asks; no max() over history,
            # since ids are not always increasing (docs/platforms.md §2.3).
            self.kv.set(self.offset_key, str(update_id + 1), self.clock.now())

    def _backoff(self, error: BaseException, failures: int) -> float:
        if isinstance(error, TelegramApiError):
            if error.retry_after is not None:
                return error.retry_after
            if error.status == 409:
                log.error("telegram: a webhook is set, so getUpdates is refused; run"
                          " `brandbot webhook delete telegram` to poll")
            elif error.status in (401, 404):
                log.error("telegram: the bot token was refused (HTTP %d)", error.status)
            else:
                log.warning("telegram getUpdates failed: %s", error)
        else:
            log.warning("telegram getUpdates failed: %s", type(error).__name__)
        return float(min(MAX_BACKOFF_SECONDS, 2.0 ** min(failures, 5)))


def describe_failure(error: BaseException, failures: int) -> str:
    """Why getUpdates failed, in one line for /readyz (the token is in no part of it)."""
    if isinstance(error, TelegramApiError):
        what = f"HTTP {error.status}: {error.description}"
    elif isinstance(error, TimeoutError):
        what = "timed out"
    else:
        what = type(error).__name__
    return f"getUpdates failed ({failures} in a row): {what}"
