"""A slow handler keeps its delivery: its lease is renewed, so no other process takes it over.

Two bots on one store file stand for two processes (or a restarted one beside a slow one).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime

from bot.app import build_bot
from bot.config import Config
from bot.core.clock import FixedClock
from bot.core.message import Message, Reply
from bot.runtime.context import Context
from bot.runtime.router import Route, Router
from tests.helpers.chat import Chat


async def test_a_handler_slower_than_its_lease_is_not_handled_twice(
    make_config: Callable[..., Config],
) -> None:
    clock = FixedClock(datetime.now(UTC))
    config = make_config()
    slow, other = build_bot(config, clock=clock), build_bot(config, clock=clock)
    release = asyncio.Event()
    handled: list[str] = []

    def answering(name: str, wait: bool) -> Route:
        async def handle(message: Message, ctx: Context, found: object) -> list[Reply]:
            handled.append(name)
            if wait:
                await release.wait()  # a shop API that takes its time
            return [Reply(text=f"answer from {name}")]

        return Route("timed", lambda message, ctx: True, handle)

    slow.pipeline.router = Router([answering("slow", wait=True)])
    other.pipeline.router = Router([answering("other", wait=False)])
    chat = Chat(slow, platform="telegram", user_id="patient")
    message = chat.message("where is my parcel")
    task = asyncio.create_task(slow.pipeline.receive(message))
    await asyncio.sleep(0.05)
    for _ in range(4):  # 40 s in all, well past one 15 s lease
        clock.advance(seconds=10)
        await slow.pipeline.resume()  # the slow process's periodic round renews its lease
        assert await other.pipeline.resume() == 0  # so the other never takes it over
    release.set()
    first = await task
    assert handled == ["slow"] and [reply.text for reply in first.replies] == ["answer from slow"]
    assert slow.store.deliveries.get("telegram", message.message_id).status == "handled"  # type: ignore[union-attr]
    slow.store.close()
    other.store.close()
