"""Greenback portals for the event loop's tasks: what lets the store's synchronous calls await
PostgreSQL on the loop instead of blocking it (postgres/database.py).

Every task created on the loop after `install` gets a portal (a task factory), and so does
the task calling it. The loop's own callbacks have none: the store counts and logs a
statement run from one (it blocks), and the tests keep that count at zero.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Generator
from typing import Any

import greenback


def _with_portal(
    loop: asyncio.AbstractEventLoop,
    coro: Coroutine[Any, Any, Any] | Generator[Any, None, Any],
    **options: Any,
) -> asyncio.Task[Any]:
    task = asyncio.Task(coro, loop=loop, **options)
    greenback.bestow_portal(task)
    return task


async def install() -> None:
    """Give this task, and every task the running loop creates from now on, a portal."""
    loop = asyncio.get_running_loop()
    if loop.get_task_factory() is not _with_portal:
        loop.set_task_factory(_with_portal)
    await greenback.ensure_portal()
