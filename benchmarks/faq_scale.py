"""FAQ matching at scale on one core: reading a question at 10,000 and 100,000 phrasings,
start-up and memory at each size, against the sample knowledge base in the same run.

Each size runs in a fresh process pinned to one core: it builds the live index the way the
bot does (`FaqIndex.load`, the same call the matching worker makes), notes how long that took
and how much the process grew, then reads every DEV question of the faq-eval sets (real
customer wording, ../shared/data/faq-eval) the way a message is read (small talk, the
question, the FAQ candidates) and prints p50, p99 and the largest time.

The KBs: banking77 and clinc150 (full), ATEC (train and dev KBs) and xSID give about 32,000
real phrasings; the 10,000 KB is FAQs of those until it holds 10,000; the 100,000 KB adds
copies of the real FAQs (new ids) whose phrasings carry a greeting or a politeness a
customer might type, as a large brand's KB has many near-duplicates.

    python benchmarks/faq_scale.py [--sizes 10000,100000] [--queries 3000]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.questions import AFTER, BEFORE  # noqa: E402
from bot.config.knowledge_base import KnowledgeBaseSettings  # noqa: E402
from bot.core.faq import Faq  # noqa: E402
from bot.kb.index import FaqIndex  # noqa: E402
from bot.kb.seed import load_faqs  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "faq-eval"
KBS = ("banking77/kb_full.csv", "clinc150/kb_full.csv", "atec/kb_train.csv",
       "atec/kb_dev.csv", "xsid-zh/kb_k10.csv")
QUERIES = ("banking77/dev.csv", "clinc150/dev.csv", "atec/dev_queries.csv", "xsid-zh/dev.csv")
TARGETS = {10_000: 1.0, 100_000: 5.0}  # p99 ms the issue asks for


def real_faqs() -> list[Faq]:
    """The faq-eval KBs as FAQs (they have no answers: the id stands in)."""
    phrasings: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for name in KBS:
        with (DATA / name).open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                key = f"{name.split('/')[0]}:{row['faq_id']}"
                phrasings[key].append((int(row["variant_rank"]), row["text"]))
    faqs = []
    for faq_id, rows in phrasings.items():
        texts = [text for _, text in sorted(rows)]
        language = "en" if texts[0].isascii() else "zh-Hans"
        faqs.append(Faq(id=faq_id, questions={language: tuple(texts)},
                        answers={language: faq_id}))
    return faqs


def kb_of(size: int) -> list[Faq]:
    """FAQs holding `size` phrasings (real ones first, then varied copies)."""
    faqs = real_faqs()
    rng = random.Random(size)
    rng.shuffle(faqs)
    chosen: list[Faq] = []
    count = 0
    copy = 0
    while count < size:
        for faq in faqs:
            if count >= size:
                break
            if copy:
                questions = {
                    language: tuple(rng.choice(BEFORE) + text + rng.choice(AFTER)
                                    for text in texts)
                    for language, texts in faq.questions.items()
                }
                faq = Faq(id=f"{faq.id}~{copy}", questions=questions, answers=faq.answers)
            chosen.append(faq)
            count += len(faq.phrasings())
        copy += 1
    return chosen


def questions(limit: int) -> list[str]:
    texts = []
    for name in QUERIES:
        with (DATA / name).open(encoding="utf-8", newline="") as handle:
            texts += [row["text"] for row in csv.DictReader(handle)]
    random.Random(19).shuffle(texts)
    return texts[:limit]


def resident_mb() -> float:
    """The process's resident memory now."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


def measure(size: int, limit: int) -> dict[str, float]:
    """Build and query one KB size in this process (pinned to one core by the caller)."""
    faqs = load_faqs(ROOT / "knowledge_base") if size == 0 else kb_of(size)
    asked = questions(limit)
    before = resident_mb()
    started = time.perf_counter()
    index = FaqIndex(None, KnowledgeBaseSettings())
    index.load(1, faqs)
    startup = time.perf_counter() - started
    grown = resident_mb() - before
    timings = []
    for text in asked:
        started = time.perf_counter()
        index.read_loaded(text)
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return {
        "phrasings": sum(len(faq.phrasings()) for faq in faqs), "faqs": len(faqs),
        "startup_s": startup, "memory_mb": grown, "p50_ms": statistics.median(timings),
        "p99_ms": timings[int(len(timings) * 0.99) - 1], "max_ms": timings[-1],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--queries", type=int, default=3000)
    parser.add_argument("--one", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one is not None:
        print(json.dumps(measure(args.one, args.queries)))
        return
    core = max(os.sched_getaffinity(0))
    print(f"one core (cpu {core}); {args.queries} DEV questions a size")
    print(f"{'KB':<14}{'phrasings':>10}{'FAQs':>7}{'start-up s':>12}{'memory MB':>11}"
          f"{'p50 ms':>8}{'p99 ms':>8}{'max ms':>8}{'p99 vs sample':>15}{'target':>9}")
    baseline = None
    for size in [0, *(int(part) for part in args.sizes.split(","))]:
        output = subprocess.run(
            [sys.executable, __file__, "--one", str(size), "--queries", str(args.queries)],
            capture_output=True, text=True, check=True,
            preexec_fn=lambda: os.sched_setaffinity(0, {core}),
        ).stdout
        result = json.loads(output.strip().splitlines()[-1])
        baseline = baseline or result
        target = TARGETS.get(size)
        name = "sample KB" if size == 0 else f"{size:,}"
        print(f"{name:<14}{result['phrasings']:>10,}{result['faqs']:>7,}"
              f"{result['startup_s']:>12.2f}{result['memory_mb']:>11.0f}"
              f"{result['p50_ms']:>8.3f}{result['p99_ms']:>8.3f}{result['max_ms']:>8.2f}"
              f"{result['p99_ms'] / baseline['p99_ms']:>15.1f}"
              f"{f'≤ {target:g} ms' if target else '':>9}", flush=True)


if __name__ == "__main__":
    main()
