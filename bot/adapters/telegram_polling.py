"""getUpdates long polling: for trying the bot from a laptop with no public URL.

Each update is recorded through the pipeline before the offset moves past it, and the
offset is kept in the store: a restart neither loses nor repeats an update.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import TYPE_CHECKING, Any

import aiohttp

from bot.adapters.telegram_api import TelegramApiError, call
from bot.errors import PayloadError

if TYPE_CHECKING:
    from bot.adapters.telegram import TelegramAdapter
    from bot.pipeline import Pipeline

log = logging.getLogger(__name__)

OFFSET_KEY = "telegram:offset:{bot_id}"
MAX_BACKOFF_SECONDS = 30.0
DRAIN_SECONDS = 5.0


class Poller:
    """Fetches updates, records each, hands fresh messages to the pipeline."""

    def __init__(self, adapter: TelegramAdapter, pipeline: Pipeline) -> None:
        self.adapter = adapter
        self.pipeline = pipeline
        self.settings = adapter.settings
        self.store = pipeline.store
        self._handling: set[asyncio.Task[Any]] = set()
        # Per bot (the token starts with its id): a new token must not inherit an offset.
        self.offset_key = OFFSET_KEY.format(bot_id=self.settings.token.partition(":")[0])

    @property
    def offset(self) -> int:
        """The first update id not yet recorded (0: ask Telegram for the oldest it has)."""
        return int(self.store.kv.get(self.offset_key) or 0)

    async def run(self) -> None:
        """Poll until cancelled; API and network failures back off and try again."""
        from bot.adapters.telegram import ALLOWED_UPDATES

        timeout = aiohttp.ClientTimeout(total=self.settings.poll_timeout_seconds + 30)
        failures = 0
        async with aiohttp.ClientSession(timeout=timeout) as session:
            try:
                while True:
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
                        await asyncio.sleep(self._backoff(error, failures))
                        continue
                    failures = 0
                    self.take(updates if isinstance(updates, list) else [])
            finally:
                await self._drain()

    def take(self, updates: list[Any]) -> None:
        """Record every update, start handling the fresh ones, then move the offset on.

        Nothing here awaits, so cancellation cannot fall between a record and its offset.
        """
        for update in updates:
            update_id = update.get("update_id") if isinstance(update, dict) else None
            if not isinstance(update_id, int) or isinstance(update_id, bool):
                log.warning("telegram update without an update_id skipped")
                continue
            try:
                messages = self.adapter.parse_update(update)
            except PayloadError as error:
                log.warning("unparseable telegram update %d kept as a dead letter: %s",
                            update_id, error)
                body = json.dumps(update).encode()
                now = self.pipeline.clock.now()
                self.store.dead_letters.add("telegram", str(error), {}, body, now)
                messages = []
            for message in messages:
                if self.pipeline.record(message):
                    task = asyncio.create_task(self.pipeline.handle(message))
                    self._handling.add(task)
                    task.add_done_callback(self._done)
            # The id just taken plus one, as the Bot API asks; no max() over history,
            # since ids are not always increasing (platforms.md §2.3).
            self.store.kv.set(self.offset_key, str(update_id + 1), self.pipeline.clock.now())

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._handling.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("handling a telegram update failed", exc_info=task.exception())

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

    async def _drain(self) -> None:
        """Let handling in progress finish (what does not is resumed on the next start)."""
        if self._handling:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait(set(self._handling), timeout=DRAIN_SECONDS)
