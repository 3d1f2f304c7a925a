"""Retention: rows past their `[privacy]` period go, newer ones and unfinished ones stay."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from bot.config.privacy import PrivacySettings
from bot.core.adapter import OutboundRequest
from bot.core.clock import FixedClock
from bot.core.message import Reply
from bot.runtime.retention import Retention
from bot.store import Store

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


def ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


def send(store: Store, key: str, days: float, status: str | None) -> int:
    """An outbox row stored `days` ago, finished with `status` then (None: still pending)."""
    request = OutboundRequest("telegram", "42", "/sendMessage", {"text": key})
    row_id = store.outbox.enqueue(request, ago(days), dedupe_key=key)
    assert row_id is not None
    if status == "sent":
        store.outbox.mark_sent(row_id, ago(days), "m1")
    elif status is not None:
        store.outbox.mark_final(row_id, status, "why", ago(days))
    return row_id


async def test_old_lines_are_deleted_in_batches_and_recent_ones_kept(
    new_store: Callable[..., Store]
) -> None:
    store = new_store("brandbot.db")
    try:
        for days in (400, 380, 366, 364, 30, 0):
            for _ in range(3):
                store.conversations.append(
                    customer_id="c1", platform="web", chat_id="v1", direction="in",
                    kind="text", text=f"{days} days ago", now=ago(days),
                )
        assert store.conversations.delete_before(ago(365), batch=2) == 2
        service = Retention(store, PrivacySettings(conversation_days=365), FixedClock(NOW))
        await service.round()
        left = [line.text for line in store.conversations.recent("c1", limit=100)]
        assert left == [f"{days} days ago" for days in (364, 30, 0) for _ in range(3)]
        await Retention(store, PrivacySettings(conversation_days=0), FixedClock(NOW)).round()
        assert store.conversations.count() == 9  # 0: kept for ever
    finally:
        store.close()


async def test_deliveries_sends_dead_letters_and_expired_keys_go_after_their_periods(
    new_store: Callable[..., Store],
) -> None:
    store = new_store("brandbot.db")
    try:
        for key, days, handled in (("old", 20, True), ("new", 3, True), ("stuck", 20, False)):
            assert store.deliveries.claim("telegram", key, {"text": key}, ago(days))
            if handled:
                store.deliveries.complete("telegram", key, [], ago(days))
        sends = {
            "sent-old": send(store, "sent-old", 20, "sent"),
            "sent-new": send(store, "sent-new", 3, "sent"),
            "undeliverable-old": send(store, "undeliverable-old", 20, "undeliverable"),
            "failed-old": send(store, "failed-old", 100, "failed"),
            "failed-recent": send(store, "failed-recent", 20, "failed"),
            "pending-old": send(store, "pending-old", 200, None),
        }
        store.dead_letters.add("telegram", "bad", {}, b"{", ago(100))
        kept_letter = store.dead_letters.add("telegram", "bad", {}, b"[", ago(10))
        store.kv.set("gone", "1", ago(2), expires_at=ago(1))
        store.kv.set("live", "1", ago(2), expires_at=NOW + timedelta(hours=1))
        store.kv.set("forever", "1", ago(400))

        await Retention(store, PrivacySettings(), FixedClock(NOW)).round()

        assert store.deliveries.get("telegram", "old") is None
        assert store.deliveries.get("telegram", "new") is not None
        # Never handled: still to be handled, whatever its age.
        assert store.deliveries.get("telegram", "stuck") is not None
        left = {key for key, row_id in sends.items() if store.outbox.get(row_id) is not None}
        assert left == {"sent-new", "failed-recent", "pending-old"}
        assert [letter["id"] for letter in store.dead_letters.recent()] == [kept_letter]
        assert store.db.scalar("SELECT count(*) FROM kv WHERE key = 'gone'") == 0
        assert store.kv.get("live", NOW) == "1"
        assert store.kv.get("forever", NOW) == "1"
    finally:
        store.close()


async def test_many_rows_go_in_batches(new_store: Callable[..., Store]) -> None:
    store = new_store("brandbot.db")
    try:
        with store.transaction():
            for number in range(4500):
                store.kv.set(f"menu:{number}", "[]", ago(3), expires_at=ago(2))
        assert store.kv.delete_expired(NOW, batch=1000) == 1000
        await Retention(store, PrivacySettings(), FixedClock(NOW)).round()
        assert store.db.scalar("SELECT count(*) FROM kv WHERE key LIKE 'menu:%'") == 0
    finally:
        store.close()


async def test_held_replies_go_once_given_and_stale_ones_once_nobody_came_back(
    new_store: Callable[..., Store]
) -> None:
    store = new_store("brandbot.db")
    try:
        for source, days in (("given-old", 20), ("given-new", 3), ("waiting-old", 100),
                             ("waiting-new", 20)):
            store.held.hold("wechat", source, "u", [Reply(text=source)], ago(days),
                            reason="answer", source=source)
        for source in ("given-old", "given-new"):
            ids = [held.id for held in store.held.of_answer("wechat", source)]
            assert store.held.give(ids, source, ago(1))
        await Retention(store, PrivacySettings(), FixedClock(NOW)).round()
        left = sorted(held.reply.text for chat in ("given-new", "waiting-old", "waiting-new",
                                                    "given-old")
                      for held in store.held.of_answer("wechat", chat))
        assert left == ["given-new", "waiting-new"]
        assert store.held.count_waiting() == 1
    finally:
        store.close()
