"""Phrasing vectors in the store: kept per model and text, never overwritten."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from bot.store import Store

T0 = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)


def test_vectors_survive_a_reopen_and_are_kept_per_model(new_store: Callable[..., Store]) -> None:
    store = new_store("v.db")
    assert store.vectors.put_many("m1", {"多久发货": b"\x01" * 8, "hi": b"\x02" * 8}, T0) == 2
    assert store.vectors.put_many("m1", {"hi": b"\x09" * 8, "bye": b"\x03" * 8}, T0) == 1
    store.close()
    again = new_store("v.db")
    assert again.vectors.get_many("m1", ["hi", "多久发货", "unknown"]) == {
        "hi": b"\x02" * 8, "多久发货": b"\x01" * 8,
    }
    assert again.vectors.get_many("m2", ["hi"]) == {}
    assert again.vectors.count("m1") == 3
    again.vectors.put_many("m2", {"hi": b"\x04" * 8}, T0)
    assert again.vectors.forget_other_models("m2") == 3
    assert again.vectors.count() == 1


def test_many_texts_are_read_in_batches(new_store: Callable[..., Store]) -> None:
    store = new_store("v.db")
    texts = {f"text {n}": n.to_bytes(4, "little") for n in range(1200)}
    store.vectors.put_many("m", texts, T0)
    assert store.vectors.get_many("m", list(texts)) == texts
