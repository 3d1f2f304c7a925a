"""Unique customer questions for load tests: the sample KB's phrasings, varied the way people
write (greetings, politeness, trailing remarks, a typo), each text used once."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

from bot.kb.seed import load_faqs

ROOT = Path(__file__).resolve().parents[1]
BEFORE = (
    "", "请问", "你好，", "hi, ", "hello ", "excuse me, ", "麻烦问下", "老板，",
    "quick question: ",
)
AFTER = ("", "？", "?", " 谢谢", " thanks", " please", "呢", " asap", "啊", " :)", "～")
# Questions no FAQ answers: the fallback and small-talk paths get their share too.
OFF_TOPIC = (
    "你们老板是谁", "what's the weather like", "can I pay with bitcoin", "我想加盟",
    "do you sell coffee", "你是机器人吗", "blah blah", "how old is the shop",
)


def typo(text: str, rng: random.Random) -> str:
    """Swap two neighbouring letters of one word (Chinese text is left alone)."""
    if not text.isascii() or len(text) < 6:
        return text
    index = rng.randrange(1, len(text) - 2)
    return text[:index] + text[index + 1] + text[index] + text[index + 2:]


def unique_questions(seed: int = 19) -> Iterator[str]:
    """Endless distinct question texts (a counter keeps them apart once variety runs out)."""
    faqs = load_faqs(ROOT / "knowledge_base")
    phrasings = [text for faq in faqs if not faq.small_talk for text in faq.phrasings()]
    phrasings += list(OFF_TOPIC)
    rng = random.Random(seed)
    seen: set[str] = set()
    round_number = 0
    while True:
        round_number += 1
        for _ in range(len(phrasings) * 8):
            text = rng.choice(BEFORE) + rng.choice(phrasings) + rng.choice(AFTER)
            if rng.random() < 0.3:
                text = typo(text, rng)
            if round_number > 1:
                text = f"{text} ({round_number})"
            if text not in seen:
                seen.add(text)
                yield text
