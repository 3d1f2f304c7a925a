"""Conversation-log retention: lines past `[privacy] conversation_days` go, newer ones stay."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from bot.config.privacy import PrivacySettings
from bot.core.clock import FixedClock
from bot.runtime.retention import ConversationRetention
from bot.store import Store

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


async def test_old_lines_are_deleted_in_batches_and_recent_ones_kept(
    new_store: Callable[..., Store]
) -> None:
    store = new_store("brandbot.db")
    try:
        for days in (400, 380, 366, 364, 30, 0):
            for _ in range(3):
                store.conversations.append(
                    customer_id="c1", platform="web", chat_id="v1", direction="in",
                    kind="text", text=f"{days} days ago", now=NOW - timedelta(days=days),
                )
        assert store.conversations.delete_before(NOW - timedelta(days=365), batch=2) == 2
        service = ConversationRetention(store, PrivacySettings(conversation_days=365),
                                        FixedClock(NOW))
        assert service.active
        await service.round()
        left = [line.text for line in store.conversations.recent("c1", limit=100)]
        assert left == [f"{days} days ago" for days in (364, 30, 0) for _ in range(3)]
        assert not ConversationRetention(store, PrivacySettings(0), FixedClock(NOW)).active
    finally:
        store.close()
