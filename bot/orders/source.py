"""Where orders come from: the store, or the shop's own API behind a circuit breaker."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from typing import Any, Protocol
from urllib.parse import quote

import aiohttp

from bot.config.orders import OrdersHttpSettings
from bot.core.errors import OrderError, SourceUnavailable
from bot.core.http import HttpAnswer, call_json
from bot.core.order import Order, order_from_record
from bot.store import Store

log = logging.getLogger(__name__)


class OrderSource(Protocol):
    """Finds an order by number."""

    async def get(self, number: str) -> Order | None:
        """The order, None if the shop has no such order; raises SourceUnavailable."""
        ...

    async def start(self) -> None:
        """Open connections."""
        ...

    async def stop(self) -> None:
        """Close connections."""
        ...


class StoreSource:
    """Orders imported into the bot's own store."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def get(self, number: str) -> Order | None:
        """The stored order."""
        return self.store.orders.get(number)

    async def start(self) -> None:
        """Nothing to open."""

    async def stop(self) -> None:
        """Nothing to close."""


class CircuitBreaker:
    """Stops calling a failing service for a while, then lets one call through to test it."""

    def __init__(
        self, failures: int, cooldown_seconds: float,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.threshold = failures
        self.cooldown = cooldown_seconds
        self.monotonic = monotonic
        self.failures = 0
        self.opened_at: float | None = None

    @property
    def is_open(self) -> bool:
        """Whether calls are refused right now (half-open after the cooldown lets one by)."""
        if self.opened_at is None:
            return False
        return self.monotonic() - self.opened_at < self.cooldown

    def success(self) -> None:
        """The service answered: close."""
        self.failures = 0
        self.opened_at = None

    def failure(self) -> None:
        """The service failed: open after `threshold` failures in a row (or a failed trial)."""
        self.failures += 1
        if self.failures >= self.threshold or self.opened_at is not None:
            self.opened_at = self.monotonic()


class HttpSource:
    """GET the URL template with the order number; 404 means no such order."""

    def __init__(self, settings: OrdersHttpSettings) -> None:
        self.settings = settings
        self.breaker = CircuitBreaker(settings.breaker_failures, settings.breaker_cooldown_seconds)
        self.session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        """Open the HTTP session."""
        timeout = aiohttp.ClientTimeout(total=self.settings.timeout_seconds)
        self.session = aiohttp.ClientSession(timeout=timeout)

    async def stop(self) -> None:
        """Close the HTTP session."""
        if self.session is not None:
            await self.session.close()
            self.session = None

    async def get(self, number: str) -> Order | None:
        """Ask the shop, retrying timeouts and 5xx; the breaker skips a shop that is down."""
        if self.breaker.is_open:
            raise SourceUnavailable("circuit open")
        if self.session is None:
            raise SourceUnavailable("order source not started")
        url = self.settings.url.replace("{number}", quote(number, safe=""))
        headers = {"Accept": "application/json"}
        if self.settings.auth_token:
            headers[self.settings.auth_header] = self.settings.auth_token
        error = ""
        for attempt in range(self.settings.retries + 1):
            try:
                answer = await call_json(self.session, "GET", url, headers=headers)
                if answer.status == 404:
                    self.breaker.success()
                    return None
                if answer.status == 200:
                    order = _order(answer, number)
                    self.breaker.success()
                    return order
                error = f"HTTP {answer.status}"
                if answer.status < 500 and answer.status != 429:
                    break  # our request is wrong (auth?): retrying will not help
            except (TimeoutError, aiohttp.ClientError) as failure:
                error = f"{type(failure).__name__}: {failure}"
            except OrderError as failure:
                error = f"unusable order data: {failure}"
                break
            log.info("order API attempt %d for an order failed: %s", attempt + 1, error)
            if attempt < self.settings.retries:
                await asyncio.sleep(min(0.2 * 2**attempt, 1.0))
        log.warning("order API unavailable: %s", error)
        self.breaker.failure()
        raise SourceUnavailable(error)


def _order(answer: HttpAnswer, number: str) -> Order:
    try:
        data: Any = json.loads(answer.text)
    except ValueError:
        raise OrderError("the answer is not JSON") from None
    if isinstance(data, dict) and isinstance(data.get("order"), dict):
        data = data["order"]
    if not isinstance(data, dict):
        raise OrderError("the answer is not an order object")
    order = order_from_record({"number": number, **data})
    if order.number != number:
        raise OrderError("the answer is about another order")
    return order
