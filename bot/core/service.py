"""The one shape of a background job: rounds at start, when woken, and every few seconds.

The outbox sender, order-lookup retries, points-expiry reminders, WeChat QR creation, the
handoff timer and the resumption of unhandled deliveries are all a Service: the bot starts
and stops them the same way, and a failing round is logged without stopping the next one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable

from bot.core.errors import StoreBusy
from bot.core.ports import JobLocks

log = logging.getLogger(__name__)

# Never a zero timeout: on Python 3.11 cancelling wait_for(..., 0) can hang, and a round that
# asks to run again "now" without doing work must not make the loop spin.
MIN_WAIT = 0.005


async def cancel(task: asyncio.Task[None] | None) -> None:
    """Cancel a background task and wait until it has really finished."""
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


class Service(ABC):
    """A background job; subclasses write `round` and, if they hold connections, open/close."""

    def __init__(self, name: str, every: float, *, first_round_after: float = 0.0) -> None:
        self.name = name
        self.every = every
        self.first_round_after = first_round_after
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.locks: JobLocks | None = None  # set: one instance at a time runs the rounds

    def run_alone(self, locks: JobLocks) -> None:
        """Run rounds only while no other instance on the same store runs this job's."""
        self.locks = locks

    @property
    def active(self) -> bool:
        """Whether there is anything for this job to do at all (checked at start)."""
        return True

    @abstractmethod
    async def round(self) -> float | None:
        """Do one round's work; seconds until the next round is wanted (None: `every`)."""

    async def open(self) -> None:
        """Open what the rounds need (an HTTP session); called by `start`."""
        return None  # most jobs need nothing opened

    async def close(self) -> None:
        """Close what `open` opened; called by `stop`."""
        return None

    def wake(self) -> None:
        """There is work now: run a round soon instead of waiting for the next one."""
        self._wake.set()

    async def start(self) -> None:
        """Open, then run rounds in a task of its own until stopped."""
        await self.open()
        if self.active:
            self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        """Stop the rounds and close; the job's work is stored, so nothing is lost."""
        await cancel(self._task)
        self._task = None
        await self.close()

    async def _run(self) -> None:
        if self.first_round_after:
            await self._sleep(self.first_round_after)
        while True:
            # Cleared before the round, so a wake() during it is not lost.
            self._wake.clear()
            try:
                delay = await self._round()
            except StoreBusy:
                log.warning("%s round put off: the store is busy", self.name)
                delay = None
            except Exception:
                log.exception("%s round failed", self.name)
                delay = None
            await self._sleep(self.every if delay is None else delay)

    async def _round(self) -> float | None:
        if self.locks is None:
            return await self.round()
        with self.locks.hold(f"job:{self.name}") as mine:
            # Not ours: another instance runs it now; look again after the usual wait.
            return await self.round() if mine else None

    async def _sleep(self, seconds: float) -> None:
        # asyncio.wait, not wait_for: on Python 3.11 a task cancelled while wait_for's
        # timeout fires can wait for ever for the inner wait (seen with short waits, when
        # `stop` cancels the job); wait returns at the timeout, and a cancel goes through.
        waiter = asyncio.ensure_future(self._wake.wait())
        try:
            await asyncio.wait({waiter}, timeout=max(MIN_WAIT, seconds))
        finally:
            waiter.cancel()


class Periodic(Service):
    """A Service whose round is a plain coroutine function.

    `next_in`, if given, says after each round how soon the next one is wanted (None:
    `every`), for a job whose work becomes due at a known moment.
    """

    def __init__(
        self, name: str, every: float, job: Callable[[], Awaitable[object]], *,
        first_round_after: float | None = None,
        next_in: Callable[[], float | None] | None = None,
    ) -> None:
        super().__init__(
            name, every,
            first_round_after=every if first_round_after is None else first_round_after,
        )
        self.job = job
        self.next_in = next_in

    async def start(self) -> None:
        """Start; the first round comes when `next_in` wants it, if that is sooner."""
        wanted = self._wanted()
        if wanted is not None:
            self.first_round_after = min(self.first_round_after, wanted)
        await super().start()

    async def round(self) -> float | None:
        """Run the job once."""
        await self.job()
        return self._wanted()

    def _wanted(self) -> float | None:
        wanted = None if self.next_in is None else self.next_in()
        return None if wanted is None else min(max(wanted, MIN_WAIT), self.every)
