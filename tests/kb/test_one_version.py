"""One message reads one version of the KB: the store is asked once, edits here still show."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime

from bot.core.faq import Faq
from bot.kb.index import FaqIndex
from bot.store import Store

NOW = datetime(2026, 12, 6, tzinfo=UTC)


def faq(faq_id: str, question: str) -> Faq:
    return Faq(id=faq_id, questions={"en": (question,)}, answers={"en": faq_id})


def version_reads(store: Store) -> list[str]:
    """The statements that ask the store for the KB's version, as they run."""
    seen: list[str] = []
    store.db.conn.set_trace_callback(
        lambda sql: seen.append(sql) if "kb_version" in sql and "SELECT" in sql else None
    )
    return seen


def test_a_message_asks_the_store_for_the_version_once(
    new_store: Callable[..., Store],
) -> None:
    store = new_store()
    store.kb.save(faq("hours", "When are you open?"), NOW)
    index = FaqIndex(store.kb)
    seen = version_reads(store)
    with index.one_version():
        for _ in range(5):
            index.get("hours")
            index.search("when are you open")
    assert len(seen) == 1
    index.get("hours")  # outside a message: asked every time, as before
    assert len(seen) == 2


def test_an_edit_made_during_the_message_shows_in_it(new_store: Callable[..., Store]) -> None:
    store = new_store()
    store.kb.save(faq("hours", "When are you open?"), NOW)
    index = FaqIndex(store.kb)
    with index.one_version():
        assert index.get("hours") is not None
        store.kb.save(faq("refund", "How do I get a refund?"), NOW)
        found = index.get("refund")
    assert found is not None and found.id == "refund"


def test_another_process_edit_shows_from_the_next_message(
    new_store: Callable[..., Store],
) -> None:
    store = new_store()
    store.kb.save(faq("hours", "When are you open?"), NOW)
    other = new_store()  # the same file through another connection: another process's view
    index = FaqIndex(store.kb)
    with index.one_version():
        index.get("hours")
        other.kb.save(faq("refund", "How do I get a refund?"), NOW)
        assert index.get("refund") is None  # this message keeps the version it started with
    with index.one_version():
        assert index.get("refund") is not None


async def test_a_message_held_steady_keeps_no_other_from_seeing_edits(
    new_store: Callable[..., Store],
) -> None:
    store = new_store()
    store.kb.save(faq("hours", "When are you open?"), NOW)
    other = new_store()
    index = FaqIndex(store.kb)
    started = asyncio.Event()
    edited = asyncio.Event()

    async def early() -> bool:
        with index.one_version():
            index.get("hours")
            started.set()
            await edited.wait()
            return index.get("refund") is not None

    async def late() -> bool:
        await started.wait()
        other.kb.save(faq("refund", "How do I get a refund?"), NOW)
        with index.one_version():
            seen = index.get("refund") is not None
        edited.set()
        return seen

    assert await asyncio.gather(early(), late()) == [True, True]
