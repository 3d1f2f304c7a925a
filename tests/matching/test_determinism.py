"""The same question gets the same ranking in every process, whatever its hash seed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / ".." / "shared" / "data" / "faq-eval" / "banking77"
# Long questions (more terms than the matcher keeps) and short ones, on a real KB.
RANK = """
import csv, sys
from collections import defaultdict
from bot.matching import FaqDocument, Matcher
phrasings = defaultdict(list)
for row in csv.DictReader(open(sys.argv[1], encoding="utf-8")):
    phrasings[row["faq_id"]].append(row["text"])
matcher = Matcher(FaqDocument(key, tuple(texts)) for key, texts in phrasings.items())
queries = [row["text"] for row in csv.DictReader(open(sys.argv[2], encoding="utf-8"))]
queries = sorted(queries, key=len)[-60:] + queries[:60]
for query in queries:
    print(" ".join(f"{c.faq_id}:{c.score!r}" for c in matcher.search(query, limit=10)))
"""


def ranking(seed: str) -> str:
    env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-c", RANK, str(DATA / "kb_k10.csv"), str(DATA / "dev.csv")],
        env=env, check=True, capture_output=True, text=True,
    ).stdout


def test_rankings_do_not_depend_on_the_hash_seed() -> None:
    first = ranking("1")
    assert first.count("\n") == 120
    assert ranking("2") == first
    assert ranking("3") == first
