"""A background job run every few seconds for as long as the bot runs."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)


async def cancel(task: asyncio.Task[None] | None) -> None:
    """Cancel a background task and wait until it has really finished."""
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


class Periodic:
    """Runs `job` every `every` seconds; a failing round is logged and the next one still runs."""

    def __init__(self, name: str, every: float, job: Callable[[], Awaitable[object]]) -> None:
        self.name = name
        self.every = every
        self.job = job
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Start the rounds."""
        self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        """Stop; the job's work is stored, so nothing is lost between runs."""
        await cancel(self._task)
        self._task = None

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.every)
            try:
                await self.job()
            except Exception:
                log.exception("%s round failed", self.name)
