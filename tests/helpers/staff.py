"""Staff test setup: members of each role, a staff chat, a fixed clock, and outbox reading."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from bot.app import Bot, build_bot
from bot.config import Config
from bot.core.clock import Clock, FixedClock

# Monday 2026-11-23 11:00 in Shanghai: inside the default business hours.
ON_DUTY = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
STAFF: dict[str, Any] = {
    "chat": "console:agent",
    # English staff texts (knowledge_base/staff.toml); tests/handlers/staff/test_languages.py
    # covers Chinese ones and members written as a bare role.
    "members": {
        "console:admin": {"role": "admin", "language": "en"},
        "console:editor": {"role": "editor", "language": "en"},
        "console:agent": {"role": "agent", "language": "en"},
        "console:agent2": {"role": "agent", "language": "en"},
    },
}


def staff_config(make_config: Callable[..., Config], **tables: Any) -> Config:
    """The test config with staff of every role and the staff chat on the console."""
    return make_config(staff={**STAFF, **tables.pop("staff", {})}, **tables)


async def started(config: Config, moment: datetime | None = ON_DUTY) -> Bot:
    """A started bot whose clock stands still at `moment` (None: the real clock)."""
    bot = build_bot(config, clock=FixedClock(moment) if moment else Clock())
    await bot.start()
    return bot


async def stop(bot: Bot) -> None:
    """Stop a bot, cancelling its outbox task again if the first cancel was swallowed.

    Python 3.11's asyncio.wait_for can swallow a cancel that arrives as its inner future
    completes (the outbox's wake-up event, just set by a relay); the outbox loop then goes on.
    """
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(asyncio.shield(bot.outbox.stop()), 1.0)
    await bot.stop()


def sent(bot: Bot, platform: str | None = None, chat_id: str | None = None) -> list[str]:
    """Texts of outbox rows, oldest first, optionally to one platform / chat."""
    rows = reversed(bot.store.outbox.list(limit=10_000))
    return [
        str(row.request.body.get("text", ""))
        for row in rows
        if (platform is None or row.request.platform == platform)
        and (chat_id is None or row.request.chat_id == chat_id)
    ]
