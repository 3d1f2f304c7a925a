"""Semantic matching at scale: start-up, CPU per message and its growth with the KB's size.

Needs brandbot[semantic]. Builds the live FAQ index (bot/kb/index.py) over a store file holding
a 10,500-phrasing KB (Banking77 full + CLINC150 k10 from ../shared/data/faq-eval) and a
1,050-phrasing slice of it, then asks each the DEV questions as the bot does (prepare, then
read), and prints, measured in the same run:

- start-up: a cold start (every phrasing embedded) against a warm one (vectors read back from
  the store), with a fresh encoder each time;
- CPU per message (process time, every thread) and messages per second, for the bot as it
  is (a question is embedded only when the lexical matcher is not sure) against the baseline
  of embedding every question, on both KB sizes, and the ratio 10,500 : 1,050.

    python benchmarks/semantic_scale.py [--store PATH] [--queries N]

`--store` keeps the store file, so that a second run measures a warm start only.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

# Run as a script, so this folder is on the path (as for the other benchmarks).
from faq_accuracy import DEFAULT_DATA, load_kb, load_queries

from bot.config.knowledge_base import KnowledgeBaseSettings
from bot.core.clock import utc_now
from bot.core.faq import Faq
from bot.kb.index import FaqIndex
from bot.matching.encoder import Encoder, load_model
from bot.matching.semantic import Fusion, SemanticMatcher
from bot.store import open_store

SMALL_SHARE = 10  # the small KB holds every 10th FAQ's phrasings … roughly a tenth


def faqs_of(data: Path) -> list[Faq]:
    """The 10,500-phrasing KB as FAQs (the datasets have no answers: the id stands in)."""
    documents = load_kb(data / "banking77" / "kb_full.csv")
    documents += load_kb(data / "clinc150" / "kb_k10.csv")
    return [
        Faq(id=f"d{number:04d}", questions={"en": document.phrasings},
            answers={"en": document.faq_id})
        for number, document in enumerate(documents)
    ]


def small_slice(faqs: Sequence[Faq]) -> list[Faq]:
    """About a tenth of the phrasings: every FAQ keeps a tenth of its phrasings."""
    return [
        dataclasses.replace(faq, questions={"en": faq.questions["en"][::SMALL_SHARE]})
        for faq in faqs
    ]


async def start(path: Path, faqs: Sequence[Faq] | None, fusion: Fusion) -> tuple[FaqIndex, float]:
    """A live index over the store at `path` (seeded with `faqs` if new), built from scratch."""
    store = open_store(path)
    if faqs is not None and not store.kb.count():
        store.kb.seed(faqs, utc_now())
    matcher = SemanticMatcher(fusion=fusion, encoder=Encoder(load_model()))
    index = FaqIndex(store.kb, KnowledgeBaseSettings(), matcher=matcher, vectors=store.vectors)
    began = time.perf_counter()
    await index.prepare()
    return index, time.perf_counter() - began


async def ask(index: FaqIndex, questions: Sequence[str]) -> tuple[float, float, float]:
    """CPU ms per message, messages per second, and the share of questions embedded."""
    assert isinstance(index.matcher, SemanticMatcher)
    embedded = index.matcher.encoder.embedded
    cpu, wall = time.process_time(), time.perf_counter()
    for question in questions:
        await index.prepare(question)
        index.read(question)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    share = (index.matcher.encoder.embedded - embedded) / len(questions)
    return cpu * 1000 / len(questions), len(questions) / wall, share


async def run(store_dir: Path, count: int) -> None:
    """Every measurement, in the order the report prints them."""
    data = DEFAULT_DATA.resolve()
    faqs = faqs_of(data)
    questions = [text for text, _ in load_queries(data / "banking77" / "dev.csv")]
    questions += [text for text, _ in load_queries(data / "clinc150" / "dev.csv")]
    # Distinct questions, so that the encoder's cache of recent questions never answers one.
    questions = list(dict.fromkeys(questions))[:count]
    bot, always = Fusion(), Fusion(sure_score=float("inf"))
    print("## start-up (fresh encoder each time)")
    for name, kb in (("10,500", faqs), ("1,050", small_slice(faqs))):
        path = store_dir / f"kb-{name.replace(',', '')}.db"
        cold = not path.exists()
        index, seconds = await start(path, kb, bot)
        phrasings = sum(len(faq.phrasings()) for faq in kb)
        label = "cold (embeds every phrasing)" if cold else "first in this store (kept)"
        print(f"{name} KB ({phrasings} phrasings): {label}: {seconds:.1f} s")
        index.close()
        index, warm = await start(path, None, bot)
        print(f"{name} KB: warm (vectors from the store): {warm:.2f} s"
              + (f"; {seconds / warm:.0f}× faster" if cold else ""))
        index.close()
    print(f"\n## per message ({len(questions)} distinct DEV questions)")
    print("| KB | matching | CPU ms/msg | msg/s | embedded |")
    print("|---|---|---|---|---|")
    cpu: dict[tuple[str, str], float] = {}
    for name in ("10,500", "1,050"):
        path = store_dir / f"kb-{name.replace(',', '')}.db"
        for label, fusion in (("bot (embed when unsure)", bot), ("baseline: embed all", always)):
            index, _ = await start(path, None, fusion)
            cpu_ms, rate, share = await ask(index, questions)
            index.close()
            cpu[(name, label)] = cpu_ms
            print(f"| {name} | {label} | {cpu_ms:.1f} | {rate:.0f} | {share:.0%} |")
    for label in ("bot (embed when unsure)", "baseline: embed all"):
        ratio = cpu[("10,500", label)] / cpu[("1,050", label)]
        print(f"{label}: CPU per message at 10,500 phrasings = {ratio:.2f}× that at 1,050")
    ratio = cpu[("10,500", "baseline: embed all")] / cpu[("10,500", "bot (embed when unsure)")]
    print(f"10,500 phrasings: the baseline costs {ratio:.2f}× the bot's CPU per message")


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--store", type=Path, help="a folder to keep the store files in")
    parser.add_argument("--queries", type=int, default=1000)
    args = parser.parse_args(argv)
    if args.store is not None:
        args.store.mkdir(parents=True, exist_ok=True)
        asyncio.run(run(args.store, args.queries))
        return 0
    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(run(Path(folder), args.queries))
    return 0


if __name__ == "__main__":
    sys.exit(main())
