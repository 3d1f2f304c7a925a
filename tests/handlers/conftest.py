"""Fixtures for fan-reward conversations: a bot on a fixed clock, configurable per test."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.app import Bot, build_bot
from bot.config import Config
from bot.core.clock import FixedClock


@pytest.fixture
def clock() -> FixedClock:
    """10:00 on Monday 2 March 2026 in Shanghai (02:00 UTC)."""
    return FixedClock(datetime(2026, 3, 2, 2, 0, tzinfo=UTC))


@pytest.fixture
async def start_bot(
    make_config: Callable[..., Config], clock: FixedClock
) -> AsyncIterator[Callable[..., Awaitable[Bot]]]:
    """Start a bot with extra config tables (e.g. rewards={...}) on the fixed clock."""
    started: list[Bot] = []

    async def start(**tables: Any) -> Bot:
        # The chats here are web customers (tests.helpers.chat); these tests are about the
        # programme's rules, so web points are on (tests/faults/test_farming.py: off).
        tables["rewards"] = {"web_points": True, **tables.get("rewards", {})}
        instance = build_bot(make_config(**tables), clock=clock)
        await instance.start()
        started.append(instance)
        return instance

    yield start
    for instance in started:
        # Stopping from inside the fixture's own teardown task could hang the outbox's
        # cancellation; a task of its own stops cleanly.
        await asyncio.wait_for(instance.stop(), 10)


@pytest.fixture
async def rewards_bot(start_bot: Callable[..., Awaitable[Bot]]) -> Bot:
    """A bot with the sample brand's reward rules."""
    return await start_bot()
