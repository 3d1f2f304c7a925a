"""The shipped sample knowledge base (Cloud Leaf Tea) loads and is internally consistent."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.app import seed_knowledge_base
from bot.config import parse_config
from bot.core.clock import FixedClock
from bot.core.faq import Faq
from bot.core.language import ENGLISH, HANS
from bot.core.texts import Texts
from bot.kb.seed import load_faqs, load_texts
from bot.store import open_store
from tests.helpers.paths import KNOWLEDGE_BASE

KB = KNOWLEDGE_BASE

ACTIONS = {
    "order-status": "orders.lookup",
    "my-orders": "orders.list",
    "checkin": "rewards.checkin",
    "points-balance": "rewards.points",
    "rewards-catalogue": "rewards.catalogue",
    "referral": "rewards.referral",
    "talk-to-human": "handoff.request",
    "link-accounts": "rewards.link",
}

REPLY_KEYS = (
    "welcome",
    "fallback",
    "apology",
    "did_you_mean",
    "unsupported",
    "button_human",
    "button_more",
    "feedback_prompt",
    "feedback_yes",
    "feedback_no",
    "feedback_thanks",
    "choose_number",
    "empty_message",
)


@pytest.fixture(scope="module")
def faqs() -> list[Faq]:
    return load_faqs(KB)


@pytest.fixture(scope="module")
def texts() -> Texts:
    return load_texts(KB)


def fold(text: str) -> str:
    return " ".join(text.casefold().split())


def test_enough_faqs(faqs: list[Faq]) -> None:
    assert len(faqs) >= 45


def test_every_faq_has_phrasings_in_both_languages(faqs: list[Faq]) -> None:
    thin = [
        (faq.id, language, len(faq.questions.get(language, ())))
        for faq in faqs
        for language in (HANS, ENGLISH)
        if len(faq.questions.get(language, ())) < 3
    ]
    assert thin == []


def test_every_answer_faq_answers_in_both_languages(faqs: list[Faq]) -> None:
    missing = [
        (faq.id, language)
        for faq in faqs
        if faq.action is None
        for language in (HANS, ENGLISH)
        if not faq.answers.get(language)
    ]
    assert missing == []


def test_buttons_point_to_existing_faqs(faqs: list[Faq]) -> None:
    ids = {faq.id for faq in faqs}
    dangling = [
        (faq.id, button.id)
        for faq in faqs
        for button in faq.buttons
        if button.id.startswith("faq:") and button.id.removeprefix("faq:") not in ids
    ]
    assert dangling == []


def test_buttons_have_titles_in_both_languages(faqs: list[Faq]) -> None:
    untitled = [
        (faq.id, button.id)
        for faq in faqs
        for button in faq.buttons
        if not (button.titles.get(HANS) and button.titles.get(ENGLISH))
    ]
    assert untitled == []


def test_action_faqs_exist_with_their_actions(faqs: list[Faq]) -> None:
    actions = {faq.id: faq.action for faq in faqs}
    assert {faq_id: actions.get(faq_id) for faq_id in ACTIONS} == ACTIONS


def test_no_phrasing_belongs_to_two_faqs(faqs: list[Faq]) -> None:
    owners: dict[str, set[str]] = defaultdict(set)
    for faq in faqs:
        for phrasing in faq.phrasings():
            owners[fold(phrasing)].add(faq.id)
    shared = {text: sorted(ids) for text, ids in owners.items() if len(ids) > 1}
    assert shared == {}


def test_no_faq_rejects_its_own_phrasing(faqs: list[Faq]) -> None:
    contradictions = [
        (faq.id, negative)
        for faq in faqs
        for negative in faq.negatives
        if fold(negative) in {fold(p) for p in faq.phrasings()}
    ]
    assert contradictions == []


def test_links_use_example_domains(faqs: list[Faq]) -> None:
    bad = [
        (faq.id, faq.link_url)
        for faq in faqs
        if faq.link_url and not faq.link_url.split("/")[2].endswith(".example")
    ]
    assert bad == []


@pytest.mark.parametrize("key", REPLY_KEYS)
def test_reply_text_exists_in_both_languages(texts: Texts, key: str) -> None:
    entry = texts.entries.get(key, {})
    assert entry.get(HANS, "").strip(), f"{key} has no zh-Hans text"
    assert entry.get(ENGLISH, "").strip(), f"{key} has no en text"


def test_welcome_names_the_brand(texts: Texts) -> None:
    for language in (HANS, ENGLISH):
        assert "Cloud Leaf" in texts.get("welcome", language, brand="Cloud Leaf")


def test_a_store_seeded_before_small_talk_gets_the_defaults_once(
    tmp_path: Path,
) -> None:
    config = parse_config(
        {"store": {"path": str(tmp_path / "old.db")},
         "knowledge_base": {"path": str(KB)}}, {}, base_dir=KB.parent,
    )
    clock = FixedClock(datetime(2026, 12, 4, tzinfo=UTC))
    store = open_store(tmp_path / "old.db")
    store.kb.seed([faq for faq in load_faqs(KB) if not faq.small_talk], clock.now())
    assert not [faq for faq in store.kb.all() if faq.small_talk]
    added = seed_knowledge_base(config, store, clock)
    talk = [faq for faq in store.kb.all() if faq.small_talk]
    assert added == len(talk) > 10
    assert {r.who for faq in talk for r in store.kb.revisions(faq.id)} == {"seed"}
    # Switched off by staff: it stays off, and nothing is added a second time.
    store.kb.disable("small-talk.laugh", "anna", clock.now())
    assert seed_knowledge_base(config, store, clock) == 0
    assert store.kb.get("small-talk.laugh") is not None
    assert not store.kb.get("small-talk.laugh").enabled  # type: ignore[union-attr]
