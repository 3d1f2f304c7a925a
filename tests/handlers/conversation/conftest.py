"""The web chat served by a real app (POST /api/chat) on a fixed clock, one customer each."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.app import Bot, build_bot
from bot.config import Config
from bot.core.clock import FixedClock
from bot.server.app import create_app
from bot.server.running import BOT_KEY
from tests.helpers.staff import STAFF
from tests.helpers.web_chat import WebChat


@pytest.fixture
def clock() -> FixedClock:
    """10:00 on Monday 2 March 2026 in Shanghai (02:00 UTC): staff are on duty."""
    return FixedClock(datetime(2026, 3, 2, 2, 0, tzinfo=UTC))


@pytest.fixture
async def web(
    make_config: Callable[..., Config], clock: FixedClock, aiohttp_client: Callable[..., Any]
) -> TestClient[Any, Any]:
    """The whole app with the sample KB, lexical matching and no welcome gift."""
    config = make_config(rewards={"follow_bonus": 0}, staff=STAFF)
    client: TestClient[Any, Any] = await aiohttp_client(
        create_app(build_bot(config, clock=clock))
    )
    return client


@pytest.fixture
def chat(web: TestClient[Any, Any]) -> WebChat:
    """One web customer."""
    return WebChat(web)


@pytest.fixture
def bot(web: TestClient[Any, Any]) -> Bot:
    """The bot behind the app."""
    return web.app[BOT_KEY]
