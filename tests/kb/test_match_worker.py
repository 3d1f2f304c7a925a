"""Lexical matching in a process of its own (`match_workers = 1`): the same answers as on the
event loop, KB edits reach it, and a worker that dies leaves matching to the loop."""

from __future__ import annotations

import os
import signal
from collections.abc import AsyncIterator, Callable
from dataclasses import replace

import pytest

from bot.app import Bot, build_bot
from bot.config import Config
from bot.core.faq import Candidate, Reading
from bot.kb.worker import pack, unpack
from tests.helpers.chat import Chat

QUESTIONS = ("多久发货呢", "How long until my order ships?", "可以退货吗", "紫砂壶怎么开壶",
             "do you ship internationally", "thanks!", "我的快递到哪了", "blah blah")


def summary(reading: Reading) -> tuple[object, ...]:
    """A reading, scores rounded: sums over sets add up in another order in another process."""
    return (reading.question, reading.outcome, reading.small_talk, reading.moves,
            [(candidate.faq_id, round(candidate.score, 9)) for candidate in reading.candidates])


@pytest.fixture
async def worker_bot(make_config: Callable[..., Config]) -> AsyncIterator[Bot]:
    instance = build_bot(make_config(knowledge_base={"match_workers": 1}))
    await instance.start()
    yield instance
    await instance.stop()


async def test_the_worker_reads_each_question_as_the_event_loop_would(
    worker_bot: Bot, bot: Bot
) -> None:
    for number, question in enumerate(QUESTIONS):
        await worker_bot.faqs.prepare(question)
        # Found in the worker's answer, not matched here again.
        prepared = worker_bot.faqs._prepared.get(question)
        assert prepared is not None
        assert summary(prepared) == summary(bot.faqs.read(question)), question
        there = await Chat(worker_bot, user_id=f"w{number}").say(question)
        here = await Chat(bot, user_id=f"w{number}").say(question)
        assert [reply.text for reply in there] == [reply.text for reply in here]


async def test_an_edit_reaches_the_worker_before_the_next_question(worker_bot: Bot) -> None:
    question = "多久发货呢"
    await worker_bot.faqs.prepare(question)
    assert worker_bot.faqs.read(question).candidates[0].faq_id == "shipping-time"
    faq = worker_bot.store.kb.get("shipping-time")
    assert faq is not None
    with_negative = replace(faq, negatives=(*faq.negatives, "多久發貨呢！"))
    worker_bot.store.kb.save(with_negative, worker_bot.clock.now(), "anna")
    await worker_bot.faqs.prepare(question)
    assert question in worker_bot.faqs._prepared
    read = worker_bot.faqs.read(question)
    assert "shipping-time" not in [candidate.faq_id for candidate in read.candidates]


async def test_a_dead_worker_leaves_matching_to_the_event_loop(worker_bot: Bot) -> None:
    process = worker_bot.faqs._process
    assert process is not None and process._process.pid is not None
    os.kill(process._process.pid, signal.SIGKILL)
    process._process.join(5)
    replies = await Chat(worker_bot, user_id="after").say("How long until my order ships?")
    assert "16:00" in replies[0].text
    assert not process.alive


def test_a_reading_crosses_the_pipe_unchanged() -> None:
    reading = Reading(
        "退款多久到账", "退款多久到账",
        (Candidate("refund", 0.9, "退款多久到账", {"fuzzy": 1.0, "exact": 1.0}),
         Candidate("fee", 0.4, "运费", {})),
        "answer", "thanks", ("thanks",), None,
    )
    assert unpack(pack(reading)) == reading
    assert unpack(pack(None)) is None
