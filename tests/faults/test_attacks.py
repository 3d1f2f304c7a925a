"""Attacks that broke the bot's promises, each kept as a test so it stays fixed.

Costs are compared within one run (a text eight times longer must not cost much more than
eight times as much CPU), never against wall-clock limits.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from bot.app import Bot
from bot.core import language
from bot.core.order import EMAIL, NUMBER, OrderError, parse_items
from handlers.orders import lookup
from handlers.rewards import route as rewards
from tests.helpers.chat import Chat

# Texts without spaces are what made patterns like \S*\d\S* backtrack quadratically.
SHAPES: dict[str, Callable[[int], str]] = {
    "latin": lambda n: "a" * n,
    "chinese": lambda n: ("发货多久能到" * n)[:n],
    "digits": lambda n: "1" * n,
    "at-signs": lambda n: "a@" * (n // 2),
    "dots": lambda n: "a@" + "." * n,
    "ref": lambda n: ("ref_" * n)[:n],
    "spaces": lambda n: ("ab " * n)[:n],
}
SMALL, LARGE = 2_000, 16_000


def cpu_seconds(work: Callable[[], object], repeat: int = 3) -> float:
    """The least CPU time of a few runs (the least is the one the machine disturbed least)."""
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        work()
        best = min(best, time.process_time() - start)
    return max(best, 1e-4)


def grows_linearly(work: Callable[[str], object], shape: Callable[[int], str]) -> bool:
    small, large = shape(SMALL), shape(LARGE)
    ratio = cpu_seconds(lambda: work(large)) / cpu_seconds(lambda: work(small))
    # Linear work costs about 8 times as much; quadratic about 64.
    return ratio < 24


# Every pattern applied to message text, used the way the code uses it.
PATTERNS: dict[str, Callable[[str], object]] = {
    "language codes": language._CODE_MARK.search,
    "language referral": lambda text: language._REFERRAL.sub(" ", text),
    "order factor": lookup._FACTOR.fullmatch,
    "order number attempt": lookup._NUMBER_ATTEMPT.fullmatch,
    "referral in text": rewards.REFERRAL_IN_TEXT.search,
    "redeem": rewards.REDEEM.match,
    "link code": rewards.LINK_CODE.match,
    "order number": NUMBER.match,
}


@pytest.mark.parametrize("shape", list(SHAPES), ids=list(SHAPES))
@pytest.mark.parametrize("name", list(PATTERNS), ids=list(PATTERNS))
def test_every_pattern_on_message_text_runs_in_linear_time(name: str, shape: str) -> None:
    assert grows_linearly(PATTERNS[name], SHAPES[shape])


@pytest.mark.parametrize("shape", list(SHAPES), ids=list(SHAPES))
def test_language_detection_costs_do_not_grow_with_length(shape: str) -> None:
    assert grows_linearly(language.detect_language, SHAPES[shape])


@pytest.mark.parametrize("shape", list(SHAPES), ids=list(SHAPES))
async def test_a_long_message_costs_no_more_than_its_length(bot: Bot, shape: str) -> None:
    chat = Chat(bot, user_id=f"long-{shape}")

    async def say(text: str) -> float:
        start = time.process_time()
        await chat.say(text)
        return time.process_time() - start

    small = min([await say(SHAPES[shape](SMALL)) for _ in range(3)])
    large = min([await say(SHAPES[shape](LARGE)) for _ in range(3)])
    assert large / max(small, 1e-4) < 24, (small, large)


def test_order_records_refuse_lines_that_would_make_patterns_backtrack() -> None:
    with pytest.raises(OrderError):
        parse_items(["Longjing " * 100 + "x"])
    assert grows_linearly(lambda text: EMAIL.match(text), SHAPES["dots"])
