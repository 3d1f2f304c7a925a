"""A message the process died on is taken over once its lease lapses: answered then, not at the
next fixed round, and logged once (the dead process had logged it already)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from bot.app import build_bot
from bot.config import Config
from bot.core.clock import Clock, FixedClock
from bot.runtime.pipeline import LEASE
from tests.helpers.chat import Chat

NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)


async def test_a_taken_over_message_is_logged_once(config: Config) -> None:
    clock = FixedClock(NOW)
    bot = build_bot(config, clock=clock)
    await bot.start()
    try:
        message = Chat(bot, user_id="visitor-1").message("多久发货", received_at=NOW)
        # What a process killed mid-way leaves: the delivery recorded under its lease and the
        # inbound line written, no reply yet.
        assert bot.pipeline.record(message)
        customer = bot.store.customers.resolve("web", "visitor-1", NOW)
        bot.store.conversations.append(
            customer_id=customer.id, platform="web", chat_id="visitor-1", direction="in",
            kind="text", text=message.text, message_id=message.message_id,
            source_id=message.message_id, now=NOW,
        )
        clock.advance(seconds=LEASE.total_seconds() + 1)
        assert await bot.pipeline.resume() == 1
        lines = bot.store.conversations.recent(customer.id)
        assert [line.direction for line in lines] == ["in", "out"]
        assert bot.store.deliveries.get("web", message.message_id).status == "handled"
    finally:
        await bot.stop()


async def test_a_message_left_by_a_dead_process_is_answered_when_its_lease_lapses(
    config: Config,
) -> None:
    bot = build_bot(config, clock=Clock())
    message = Chat(bot, user_id="visitor-2").message("运费多少")
    # Recorded by a process that died 0.3 s before its lease would have run out.
    assert bot.store.deliveries.claim(
        "web", message.message_id, message.to_dict(), bot.clock.now(), timedelta(seconds=0.3)
    )
    await bot.start()  # too early to take it over at start
    try:
        for _ in range(100):  # 5 s, far below the 30 s between fixed rounds
            delivery = bot.store.deliveries.get("web", message.message_id)
            if delivery is not None and delivery.status == "handled":
                break
            await asyncio.sleep(0.05)
        assert delivery is not None and delivery.status == "handled"
        assert delivery.replies
    finally:
        await bot.stop()
