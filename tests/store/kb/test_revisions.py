"""Every KB edit is a revision: who, when, before and after; undo and disable are revisions too."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.core.errors import KnowledgeBaseError
from bot.core.faq import Faq
from bot.kb.seed import load_faqs
from bot.store import Store
from tests.helpers.paths import KNOWLEDGE_BASE

KB = KNOWLEDGE_BASE
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


@pytest.fixture
def store(new_store: Callable[..., Store]) -> Store:
    store = new_store("kb.db")
    store.kb.seed(load_faqs(KB), T0)
    return store


def edited(faq: Faq, answer: str) -> Faq:
    return replace(faq, answers={**faq.answers, "en": answer})


def test_seed_records_one_revision_per_faq(store: Store) -> None:
    history = store.kb.revisions("shipping-time")
    assert len(history) == 1
    assert history[0].who == "seed" and history[0].before is None
    assert history[0].after["id"] == "shipping-time"


def test_save_records_who_when_before_and_after(store: Store) -> None:
    faq = store.kb.get("shipping-time")
    assert faq is not None
    version = store.kb.version()
    assert store.kb.save(edited(faq, "We ship at noon."), T0 + timedelta(hours=1), "anna")
    last = store.kb.revisions("shipping-time")[-1]
    assert (last.who, last.created_at) == ("anna", T0 + timedelta(hours=1))
    assert last.before == faq.to_dict()
    assert last.after["answer"]["en"] == "We ship at noon."
    assert store.kb.version() > version


def test_saving_the_same_faq_again_is_not_a_revision(store: Store) -> None:
    faq = store.kb.get("shipping-time")
    assert faq is not None
    version = store.kb.version()
    assert not store.kb.save(faq, T0, "anna")
    assert len(store.kb.revisions("shipping-time")) == 1
    assert store.kb.version() == version


def test_undo_restores_the_previous_version(store: Store) -> None:
    original = store.kb.get("shipping-time")
    assert original is not None
    store.kb.save(edited(original, "first edit"), T0, "anna")
    store.kb.save(edited(original, "second edit"), T0, "anna")
    restored = store.kb.undo("anna", T0 + timedelta(minutes=5))
    assert restored is not None and restored.answers["en"] == "first edit"
    assert store.kb.get("shipping-time") == restored
    restored = store.kb.undo("anna", T0 + timedelta(minutes=6))
    assert restored == original and store.kb.get("shipping-time") == original
    assert store.kb.undo("anna", T0) is None, "seed changes are not anna's to undo"
    history = store.kb.revisions("shipping-time")
    assert [r.who for r in history] == ["seed", "anna", "anna", "anna", "anna"]
    assert history[3].reverts == history[2].id and history[2].undone


def test_undo_only_reverts_that_persons_change(store: Store) -> None:
    time_faq, fee_faq = store.kb.get("shipping-time"), store.kb.get("shipping-fee")
    assert time_faq is not None and fee_faq is not None
    store.kb.save(edited(time_faq, "anna's"), T0, "anna")
    store.kb.save(edited(fee_faq, "ben's"), T0 + timedelta(seconds=1), "ben")
    store.kb.undo("anna", T0 + timedelta(seconds=2))
    assert store.kb.get("shipping-time") == time_faq
    changed = store.kb.get("shipping-fee")
    assert changed is not None and changed.answers["en"] == "ben's"


def test_undo_refuses_to_overwrite_someone_elses_later_change(store: Store) -> None:
    faq = store.kb.get("shipping-time")
    assert faq is not None
    store.kb.save(edited(faq, "anna's"), T0, "anna")
    store.kb.save(edited(faq, "ben's"), T0, "ben")
    with pytest.raises(KnowledgeBaseError, match="ben"):
        store.kb.undo("anna", T0)
    current = store.kb.get("shipping-time")
    assert current is not None and current.answers["en"] == "ben's"


def test_undoing_a_creation_disables_the_faq(store: Store) -> None:
    new = Faq(id="gift-wrap", questions={"en": ("do you gift wrap",)}, answers={"en": "Yes."})
    store.kb.save(new, T0, "anna")
    assert any(faq.id == "gift-wrap" for faq in store.kb.all())
    undone = store.kb.undo("anna", T0)
    assert undone is not None and not undone.enabled
    assert all(faq.id != "gift-wrap" for faq in store.kb.all())


def test_disable_is_a_revision_and_hides_the_faq(store: Store) -> None:
    disabled = store.kb.disable("shipping-time", "anna", T0)
    assert disabled is not None and not disabled.enabled
    assert all(faq.id != "shipping-time" for faq in store.kb.all())
    assert store.kb.revisions("shipping-time")[-1].after.get("enabled") is False
    assert store.kb.disable("no-such-faq", "anna", T0) is None
    assert store.kb.undo("anna", T0) == replace(disabled, enabled=True)
