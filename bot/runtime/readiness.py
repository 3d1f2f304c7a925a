"""Whether the bot can do its work now (GET /readyz): the store takes writes, its migrations
are applied, and every enabled platform works (its own probe, and its recent sends)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import aiohttp

from bot.core.adapter import Adapter, Probed
from bot.core.clock import Clock
from bot.runtime.metrics import Metrics
from bot.store import Store

log = logging.getLogger(__name__)

PROBE_SECONDS = 5.0  # a platform probe that takes longer counts as failing


@dataclass(frozen=True, slots=True)
class Check:
    """One thing readiness depends on, and how it stands."""

    name: str
    ok: bool
    detail: str  # "ok", or why not


class Readiness:
    """Runs the checks; details go through `redact`, since the answer leaves the process."""

    def __init__(
        self, store: Store, platforms: Mapping[str, Adapter], metrics: Metrics, clock: Clock,
        redact: Callable[[str], str],
    ) -> None:
        self.store = store
        self.platforms = dict(platforms)
        self.metrics = metrics
        self.clock = clock
        self.redact = redact

    async def checks(self) -> list[Check]:
        """Every check, in order: store, migrations, then each enabled platform."""
        found = [self._store(), self._migrations()]
        timeout = aiohttp.ClientTimeout(total=PROBE_SECONDS)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            for name, adapter in sorted(self.platforms.items()):
                found.append(await self._platform(name, adapter, session))
        return found

    def _store(self) -> Check:
        try:
            self.store.operations.probe_write(self.clock.now())
        except Exception as error:  # whatever stops a write (locked, read-only, disk full)
            return Check("store", False, self.redact(f"cannot write: {error}"))
        return Check("store", True, "ok")

    def _migrations(self) -> Check:
        try:
            missing = self.store.operations.missing_migrations()
        except Exception as error:  # the store cannot be read at all
            return Check("migrations", False, self.redact(f"cannot be read: {error}"))
        if missing:
            return Check("migrations", False, f"not applied: {', '.join(missing)}")
        return Check("migrations", True, "ok")

    async def _platform(
        self, name: str, adapter: Adapter, session: aiohttp.ClientSession
    ) -> Check:
        problem = None
        if isinstance(adapter, Probed):
            try:
                problem = await asyncio.wait_for(adapter.probe(session), PROBE_SECONDS)
            except TimeoutError:
                problem = f"no answer within {PROBE_SECONDS:.0f} s"
            except Exception as error:  # a probe's own bug must still give an answer
                log.exception("the %s probe failed", name)
                problem = f"the probe failed: {type(error).__name__}"
        health = self.metrics.send_health.get(name)
        if problem is None and health is not None and health.failing:
            problem = f"the last {health.failures} sends failed: {health.last_error}"
        if problem is None:
            return Check(name, True, "ok")
        return Check(name, False, self.redact(problem))
