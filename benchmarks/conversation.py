"""Small talk and short turns: how often the bot answers them with an FAQ, understands them, or
says it did not understand — against today's FAQ matcher alone, measured in the same run.

The messages are real, public and labelled (benchmarks/data/small_talk.csv, sources and licences
in benchmarks/data/README.md): greetings, thanks, goodbyes, yes/no, "are you a bot", chitchat and
short turns in English, simplified and traditional Chinese. Each goes, as the first message of
a new web customer, through the whole bot (pipeline, routes, the sample knowledge base). The
baseline is the lexical matcher over the same FAQs with the decision rule the bot had before
small talk existed (answer / did you mean / fallback by score alone).

    python benchmarks/conversation.py [--semantic] [--data FILE]

- "FAQ answered": the reply is an FAQ's answer (the one thing these messages must never get);
- "understood": answered as the small talk it is (the entry's kind fits the label);
- "didn't understand": the fallback reply.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import sys
import tempfile
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.app import build_bot
from bot.config import parse_config
from bot.core.clock import utc_now
from bot.core.message import Message, MessageKind
from bot.kb.index import ANSWER, FALLBACK, document_of, outcome_of
from bot.matching import Matcher

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data" / "small_talk.csv"
# Which small-talk kinds count as understanding each label ("short": anything but an FAQ
# answer or "didn't understand"; "unhappy": any caring move).
FITS = {
    "greeting": {"greeting", "chitchat"},
    "thanks": {"thanks", "praise"},
    "goodbye": {"goodbye", "thanks"},
    "affirm": {"affirm", "acknowledge"},
    "deny": {"deny"},
    "acknowledge": {"acknowledge", "affirm", "praise"},
    "bot": {"bot"},
    "praise": {"praise", "acknowledge", "affirm"},
    "chitchat": {"chitchat", "greeting", "bot"},
    "unhappy": {"complaint", "insult", "distress", "deny"},
}
CONVERSATION_ROUTES = ("small_talk", "complaint", "distress", "context")


@dataclass(frozen=True)
class Labelled:
    """One message of the data file."""

    text: str
    category: str
    language: str


@dataclass
class Tally:
    """Outcomes of one group of messages."""

    total: int = 0
    faq: int = 0
    understood: int = 0
    fallback: int = 0

    def add(self, outcome: str, fits: bool) -> None:
        """Count one message."""
        self.total += 1
        self.faq += outcome == "faq"
        self.fallback += outcome == "fallback"
        self.understood += outcome == "small talk" and fits

    def row(self) -> str:
        """Three shares as table cells."""
        total = max(self.total, 1)
        return (
            f"{self.faq / total:6.1%} | {self.understood / total:6.1%} |"
            f" {self.fallback / total:6.1%}"
        )


def load(path: Path) -> list[Labelled]:
    """The labelled messages."""
    with path.open(encoding="utf-8", newline="") as handle:
        return [Labelled(row["text"], row["category"], row["language"])
                for row in csv.DictReader(handle)]


async def bot_outcomes(messages: Sequence[Labelled], semantic: bool) -> list[tuple[str, bool]]:
    """(outcome, understood as its label) for each message, through the whole bot."""
    with tempfile.TemporaryDirectory() as folder:
        config = parse_config(
            {"store": {"path": f"{folder}/conversation.db"},
             "knowledge_base": {"path": str(ROOT / "knowledge_base"), "semantic": semantic},
             "rewards": {"follow_bonus": 0}},
            {}, base_dir=ROOT,
        )
        bot = build_bot(config)
        await bot.start(loops=False)
        texts = bot.pipeline.texts
        asking = {texts.get(key, lang) for key in ("did_you_mean", "clarify")
                  for lang in ("zh-Hans", "zh-Hant", "en")}
        found = []
        for number, labelled in enumerate(messages):
            message = Message(
                platform="web", message_id=f"bench-{number}", user_id=f"customer-{number}",
                chat_id=f"customer-{number}", kind=MessageKind.TEXT, text=labelled.text,
                received_at=utc_now(),
            )
            handled = await bot.pipeline.receive(message)
            first = handled.replies[0].text if handled.replies else ""
            if handled.route in CONVERSATION_ROUTES:
                reading = bot.faqs.read(labelled.text)
                entry = bot.faqs.get(reading.anywhere or reading.small_talk or "")
                kind = entry.small_talk if entry is not None else ""
                found.append(("small talk", kind in FITS.get(labelled.category, set())
                              or labelled.category == "short"))
            elif handled.route == "fallback":
                found.append(("fallback", False))
            elif handled.route == "faq" and first not in asking:
                found.append(("faq", False))
            else:
                found.append(("asked", labelled.category == "short"))
        await bot.stop()
    return found


def baseline_outcomes(messages: Sequence[Labelled]) -> list[tuple[str, bool]]:
    """Today's matcher alone: the FAQs of the sample KB, the score-only decision rule."""
    config = parse_config({}, {}, base_dir=ROOT)
    from bot.kb.seed import load_faqs  # the KB files only; no store needed

    faqs = [faq for faq in load_faqs(ROOT / "knowledge_base") if not faq.small_talk]
    matcher = Matcher(document_of(faq) for faq in faqs)
    found = []
    for labelled in messages:
        outcome = outcome_of(matcher.search(labelled.text, limit=3), config.knowledge_base)
        found.append(("faq" if outcome == ANSWER else
                      "fallback" if outcome == FALLBACK else "asked", False))
    return found


def report(messages: Sequence[Labelled], runs: dict[str, list[tuple[str, bool]]]) -> None:
    """Tables by language and by category, every run side by side."""
    for title, key in (("language", "language"), ("category", "category")):
        print(f"\n## by {title}: FAQ answered | understood | didn't understand")
        groups = sorted({getattr(m, key) for m in messages})
        print("| " + title + " | n | " + " | ".join(f"{name} (faq / understood / fallback)"
                                                   for name in runs) + " |")
        print("|---|---|" + "---|" * len(runs))
        for group in groups:
            cells = []
            count = 0
            for outcomes in runs.values():
                tally = Tally()
                for labelled, (outcome, fits) in zip(messages, outcomes, strict=True):
                    if getattr(labelled, key) == group:
                        tally.add(outcome, fits)
                count = tally.total
                cells.append(tally.row())
            print(f"| {group} | {count} | " + " | ".join(cells) + " |")
    closing = ("greeting", "thanks", "goodbye")
    greetings = [i for i, m in enumerate(messages) if m.category in closing]
    print("\n## greetings, thanks and goodbyes met with \"didn't understand\"")
    for name, outcomes in runs.items():
        share = sum(outcomes[i][0] == "fallback" for i in greetings) / max(len(greetings), 1)
        print(f"{name}: {share:.1%} of {len(greetings)}")
    worst: defaultdict[str, Counter[str]] = defaultdict(Counter)
    bot_run = next(iter(runs.values()))
    for labelled, (outcome, _) in zip(messages, bot_run, strict=True):
        if outcome == "faq":
            worst[labelled.language][labelled.text] += 1
    if worst:
        print("\n## still answered with an FAQ by the bot")
        for language, texts in sorted(worst.items()):
            print(f"{language}: " + " · ".join(repr(t) for t in list(texts)[:15]))


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--semantic", action="store_true",
                        help="also run the bot with semantic matching (brandbot[semantic])")
    args = parser.parse_args(argv)
    messages = load(args.data)
    runs = {"bot": asyncio.run(bot_outcomes(messages, semantic=False))}
    if args.semantic:
        runs["bot+e5"] = asyncio.run(bot_outcomes(messages, semantic=True))
    runs["baseline: matcher"] = baseline_outcomes(messages)
    counts = Counter(m.language for m in messages)
    print(f"{len(messages)} messages: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    report(messages, runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
