"""FAQ-matching accuracy and latency on the faq-eval sets, against two baselines.

Run `python benchmarks/faq_accuracy.py` for every set, or `--kb KB.csv --queries Q.csv` for one
JSON line. Metrics: top-1/top-3 are over in-scope queries (gold faq_id is not "oos").
`inscope_acc` counts an in-scope query correct when its top candidate is the gold FAQ *and* scores
at least SUGGEST_THRESHOLD (the bot answers or suggests it rather than handing over);
`oos_recall` counts an out-of-scope query correct when it gets no candidate or its top score is
below SUGGEST_THRESHOLD (the bot hands over to a human).
The decision lines show, over all queries, how many the bot would answer outright (top score at
least ANSWER_THRESHOLD, with and without the ANSWER_MARGIN lead over the runner-up) and how many
of those answers are right (an answered out-of-scope query is wrong).
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import re
import statistics
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from rapidfuzz import fuzz, process, utils

from bot.config.knowledge_base import ANSWER_MARGIN, ANSWER_THRESHOLD, SUGGEST_THRESHOLD
from bot.matching import FaqDocument, Matcher

DEFAULT_DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "faq-eval"
OOS = "oos"
# (set, KB file, queries file) in the order the report prints them.
RUNS = (
    ("banking77", "kb_k5.csv", "dev.csv"),
    ("banking77", "kb_k10.csv", "dev.csv"),
    ("clinc150", "kb_k10.csv", "dev.csv"),
    ("xsid-zh", "kb_k5.csv", "dev.csv"),
    ("xsid-zh", "kb_k10.csv", "dev.csv"),
    ("atec", "kb_dev.csv", "dev_queries.csv"),
)

Ranker = Callable[[str], list[tuple[str, float]]]
# Chinese has no spaces: a textbook BM25 for it indexes single characters.
_PLAIN_TOKEN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]|[^\W\u3400-\u9fff\uf900-\ufaff]+")


@dataclass(frozen=True)
class Result:
    """Scores of one ranker on one KB/queries pair."""

    top1: float
    top3: float
    p50_ms: float
    p99_ms: float
    inscope_acc: float | None = None
    oos_recall: float | None = None


@dataclass(frozen=True)
class Decisions:
    """How often the bot answers outright, and how often those answers are right."""

    answered: float
    precision: float
    answered_with_margin: float
    precision_with_margin: float


def decide(outcomes: Sequence[tuple[bool, float, float]]) -> Decisions:
    """Answer rates and precisions from (correct, top score, lead over runner-up) triples."""
    plain = [correct for correct, score, _ in outcomes if score >= ANSWER_THRESHOLD]
    margin = [
        correct
        for correct, score, lead in outcomes
        if score >= ANSWER_THRESHOLD and lead >= ANSWER_MARGIN
    ]
    total = max(len(outcomes), 1)
    return Decisions(
        answered=len(plain) / total,
        precision=sum(plain) / max(len(plain), 1),
        answered_with_margin=len(margin) / total,
        precision_with_margin=sum(margin) / max(len(margin), 1),
    )


def load_kb(path: Path) -> list[FaqDocument]:
    """FAQ documents from a `faq_id,variant_rank,text` file, variants in rank order."""
    variants: dict[str, list[tuple[int, str]]] = defaultdict(list)
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            variants[row["faq_id"]].append((int(row["variant_rank"]), row["text"]))
    return [
        FaqDocument(faq_id, tuple(text for _, text in sorted(rows)))
        for faq_id, rows in variants.items()
    ]


def load_queries(path: Path) -> list[tuple[str, str]]:
    """(text, gold faq_id) pairs from a `text,faq_id` file."""
    with path.open(encoding="utf-8", newline="") as handle:
        return [(row["text"], row["faq_id"]) for row in csv.DictReader(handle)]


def percentile(samples: Sequence[float], share: float) -> float:
    """The nearest-rank percentile of `samples`."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(share * len(ordered)) - 1))]


def evaluate(
    rank: Ranker,
    queries: Sequence[tuple[str, str]],
    threshold: float | None,
    outcomes: list[tuple[bool, float, float]] | None = None,
) -> Result:
    """Run every query through `rank` and score the ranked (faq_id, score) lists.

    Args:
        outcomes: if given, gets one (top-1 correct, top score, lead over runner-up) per query.
    """
    top1 = top3 = inscope = inscope_ok = oos = oos_ok = 0
    timings = []
    for text, gold in queries:
        started = time.perf_counter()
        ranked = rank(text)
        timings.append((time.perf_counter() - started) * 1000.0)
        top_score = ranked[0][1] if ranked else 0.0
        if outcomes is not None:
            lead = top_score - (ranked[1][1] if len(ranked) > 1 else 0.0)
            outcomes.append((bool(ranked) and ranked[0][0] == gold, top_score, lead))
        if gold == OOS:
            oos += 1
            oos_ok += threshold is not None and top_score < threshold
            continue
        inscope += 1
        ids = [faq_id for faq_id, _ in ranked[:3]]
        top1 += bool(ids) and ids[0] == gold
        top3 += gold in ids
        inscope_ok += (
            bool(ids) and ids[0] == gold and (threshold is None or top_score >= threshold)
        )
    has_oos = oos > 0 and threshold is not None
    return Result(
        top1=top1 / max(inscope, 1),
        top3=top3 / max(inscope, 1),
        p50_ms=statistics.median(timings),
        p99_ms=percentile(timings, 0.99),
        inscope_acc=inscope_ok / max(inscope, 1) if has_oos else None,
        oos_recall=oos_ok / oos if has_oos else None,
    )


def matcher_ranker(documents: Sequence[FaqDocument]) -> Ranker:
    """Our Matcher."""
    matcher = Matcher(documents)
    return lambda text: [(c.faq_id, c.score) for c in matcher.search(text, limit=3)]


# A store file whose kb_vectors table keeps phrasing vectors between runs (--vectors).
VECTORS: Path | None = None
# Questions the semantic rankers answered from the lexical ranking alone, and all they saw.
SKIPPED = {"skipped": 0, "asked": 0}


def semantic_ranker(documents: Sequence[FaqDocument]) -> Ranker:
    """Our Matcher fused with e5 embeddings (needs brandbot[semantic])."""
    from bot.core.clock import utc_now
    from bot.matching.encoder import Encoder, load_model
    from bot.matching.semantic import SemanticMatcher
    from bot.store import open_store

    # A fresh encoder per KB: its cache must not carry vectors from one run to the next, so
    # that the build time printed is the real one (unless --vectors keeps them on purpose).
    encoder = Encoder(load_model())
    store = open_store(VECTORS) if VECTORS is not None else None
    keys = encoder.keys([t for d in documents for t in (*d.phrasings, *d.negatives)])
    if store is not None:
        encoder.preload(store.vectors.get_many(encoder.name, keys))
    matcher = SemanticMatcher(documents, encoder=encoder)
    if store is not None:
        store.vectors.put_many(encoder.name, encoder.export(keys), utc_now())
        store.close()

    def rank(text: str) -> list[tuple[str, float]]:
        skipped = matcher.skipped
        found = [(c.faq_id, c.score) for c in matcher.search(text, limit=3)]
        SKIPPED["skipped"] += matcher.skipped - skipped
        SKIPPED["asked"] += 1
        return found

    return rank


def token_set_ranker(documents: Sequence[FaqDocument]) -> Ranker:
    """Baseline: rapidfuzz token_set_ratio with default_process, best phrasing per FAQ."""
    choices = [phrasing for document in documents for phrasing in document.phrasings]
    owners = [document.faq_id for document in documents for _ in document.phrasings]
    processed = [utils.default_process(choice) for choice in choices]

    def rank(text: str) -> list[tuple[str, float]]:
        found = process.extract(
            utils.default_process(text),
            processed,
            scorer=fuzz.token_set_ratio,
            processor=None,
            limit=30,
        )
        best: dict[str, float] = {}
        for _, score, index in found:
            best.setdefault(owners[index], score / 100.0)
        return sorted(best.items(), key=lambda item: item[1], reverse=True)

    return rank


def plain_tokens(text: str) -> list[str]:
    """rapidfuzz's default_process split on spaces, Chinese characters one token each."""
    return _PLAIN_TOKEN.findall(utils.default_process(text))


def plain_bm25_ranker(documents: Sequence[FaqDocument]) -> Ranker:
    """Baseline: textbook BM25 (k1=1.2, b=0.75) over whole FAQs, phrasings concatenated."""
    docs = {d.faq_id: Counter(plain_tokens(" ".join(d.phrasings))) for d in documents}
    lengths = {faq_id: sum(counts.values()) for faq_id, counts in docs.items()}
    avgdl = sum(lengths.values()) / max(len(lengths), 1)
    df: Counter[str] = Counter(term for counts in docs.values() for term in counts)
    postings: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for faq_id, counts in docs.items():
        for term, tf in counts.items():
            postings[term].append((faq_id, tf))
    n = len(docs)

    def rank(text: str) -> list[tuple[str, float]]:
        scores: dict[str, float] = defaultdict(float)
        for term in set(plain_tokens(text)):
            idf = math.log(1 + (n - df[term] + 0.5) / (df[term] + 0.5))
            for faq_id, tf in postings.get(term, ()):
                norm = 1 - 0.75 + 0.75 * lengths[faq_id] / avgdl
                scores[faq_id] += idf * tf * 2.2 / (tf + 1.2 * norm)
        return sorted(scores.items(), key=lambda item: item[1], reverse=True)[:3]

    return rank


def _cell(value: float | None) -> str:
    return "    -" if value is None else f"{value:5.3f}"


def print_table(title: str, rows: Sequence[tuple[str, Result]]) -> None:
    """One block of the report."""
    print(f"\n## {title}")
    print("| ranker          | top-1 | top-3 | in-scope | oos-rec |  p50 ms |  p99 ms |")
    print("|-----------------|-------|-------|----------|---------|---------|---------|")
    for name, r in rows:
        print(
            f"| {name:<15} | {r.top1:5.3f} | {r.top3:5.3f} |    {_cell(r.inscope_acc)} |"
            f"   {_cell(r.oos_recall)} | {r.p50_ms:7.2f} | {r.p99_ms:7.2f} |"
        )


def run_all(data: Path, semantic: bool, *, latency: bool = True) -> None:
    """Every set and KB, our matcher against both baselines, then the 10k latency run."""
    print(
        f"SUGGEST_THRESHOLD = {SUGGEST_THRESHOLD}, ANSWER_THRESHOLD = {ANSWER_THRESHOLD}, "
        f"ANSWER_MARGIN = {ANSWER_MARGIN}"
    )
    for name, kb_file, queries_file in RUNS:
        documents = load_kb(data / name / kb_file)
        queries = load_queries(data / name / queries_file)
        outcomes: dict[str, list[tuple[bool, float, float]]] = {"matcher": []}
        lexical = evaluate(
            matcher_ranker(documents), queries, SUGGEST_THRESHOLD, outcomes["matcher"]
        )
        rows = [("matcher", lexical)]
        if semantic:
            outcomes["matcher+e5"] = []
            started = time.perf_counter()
            ranker = semantic_ranker(documents)
            build_s = time.perf_counter() - started
            result = evaluate(ranker, queries, SUGGEST_THRESHOLD, outcomes["matcher+e5"])
            rows.append(("matcher+e5", result))
        rows += [
            ("token_set_ratio", evaluate(token_set_ranker(documents), queries, None)),
            ("plain BM25", evaluate(plain_bm25_ranker(documents), queries, None)),
        ]
        print_table(f"{name} {kb_file} vs {queries_file} ({len(queries)} queries)", rows)
        for ranker_name, triples in outcomes.items():
            d = decide(triples)
            print(
                f"{ranker_name} decisions: answers {d.answered:.0%} of queries, "
                f"{d.precision:.1%} right; with margin {d.answered_with_margin:.0%}, "
                f"{d.precision_with_margin:.1%} right"
            )
        if semantic:
            phrasings = sum(len(d.phrasings) for d in documents)
            print(f"matcher+e5 build: {phrasings} phrasings embedded in {build_s:.1f} s")
            skipped = SKIPPED["skipped"] / max(SKIPPED["asked"], 1)
            print(f"matcher+e5: {skipped:.0%} of questions decided by the lexical matcher alone"
                  " (not embedded)")
            SKIPPED.update(skipped=0, asked=0)
    if latency:
        run_latency(data, semantic)


def run_latency(data: Path, semantic: bool) -> None:
    """p50/p99 of search over a 10,500-phrasing KB (banking77 full + clinc150 k10)."""
    documents = load_kb(data / "banking77" / "kb_full.csv") + load_kb(
        data / "clinc150" / "kb_k10.csv"
    )
    queries = load_queries(data / "banking77" / "dev.csv")
    queries += load_queries(data / "clinc150" / "dev.csv")
    phrasings = sum(len(d.phrasings) for d in documents)
    print(f"\n## latency: {phrasings} phrasings, {len(documents)} FAQs, {len(queries)} queries")
    builders: list[tuple[str, Callable[[], Ranker]]] = [
        ("matcher", lambda: matcher_ranker(documents))
    ]
    if semantic:
        builders.append(("matcher+e5", lambda: semantic_ranker(documents)))
    for name, build in builders:
        started = time.perf_counter()
        rank = build()
        build_s = time.perf_counter() - started
        timings = []
        for text, _ in queries:
            started = time.perf_counter()
            rank(text)
            timings.append((time.perf_counter() - started) * 1000.0)
        print(
            f"{name}: build {build_s:.2f} s; search p50 {statistics.median(timings):.3f} ms, "
            f"p99 {percentile(timings, 0.99):.3f} ms, max {max(timings):.3f} ms"
        )


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--kb", type=Path)
    parser.add_argument("--queries", type=Path)
    parser.add_argument(
        "--semantic", action="store_true", help="add matcher+e5 rows (brandbot[semantic])"
    )
    parser.add_argument(
        "--vectors", type=Path, help="a store file keeping phrasing vectors between runs"
    )
    parser.add_argument(
        "--no-latency", action="store_true", help="skip the 10,500-phrasing latency run"
    )
    args = parser.parse_args(argv)
    global VECTORS
    VECTORS = args.vectors
    if (args.kb is None) != (args.queries is None):
        parser.error("--kb and --queries go together")
    if args.kb is not None:
        ranker = semantic_ranker if args.semantic else matcher_ranker
        result = evaluate(ranker(load_kb(args.kb)), load_queries(args.queries), SUGGEST_THRESHOLD)
        fields = {k: v for k, v in vars(result).items() if v is not None}
        print(json.dumps({k: round(v, 4) for k, v in fields.items()}))
        return 0
    run_all(args.data.resolve(), args.semantic, latency=not args.no_latency)
    return 0


if __name__ == "__main__":
    sys.exit(main())
