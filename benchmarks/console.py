"""How long the staff console's heavier pages take on a store with months of traffic.

Fills a fresh store file with synthetic traffic (customers, a conversation log, handoffs with
ratings, ledger rows), then times in the same run: the stats report over 30 days against the
baseline of one bare count over the same log rows, the inbox queue, a customer search, and
the KB edit preview (two matchers, every recent question ranked twice) against ranking the
same questions once with the live index.

    python benchmarks/console.py [--messages 200000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.config import parse_config  # noqa: E402
from bot.kb import impact  # noqa: E402
from bot.kb.index import FaqIndex  # noqa: E402
from bot.kb.seed import load_faqs, load_texts  # noqa: E402
from bot.staff import customers, report  # noqa: E402
from bot.store import Store, open_store  # noqa: E402

END = datetime(2026, 11, 23, 12, tzinfo=UTC)
PLATFORMS = ("wechat", "telegram", "whatsapp", "web")


def fill(store: Store, messages: int) -> list[str]:
    """Synthetic traffic over 90 days: a question and a reply per pair of rows."""
    people = max(messages // 20, 1)
    ids = [store.customers.resolve(PLATFORMS[n % 4], f"user{n}", END - timedelta(days=90),
                                   display_name=f"Customer {n}").id for n in range(people)]
    routes = ("faq", "faq", "faq", "fallback", "orders", "faq")
    with store.transaction():
        for n in range(messages // 2):
            moment = END - timedelta(seconds=(n * 7919) % (90 * 86400))
            who = ids[n % people]
            platform = PLATFORMS[n % 4]
            store.conversations.append(customer_id=who, platform=platform, chat_id=who,
                                       direction="in", kind="text", text=f"问题 {n % 300}",
                                       now=moment)
            store.conversations.append(customer_id=who, platform=platform, chat_id=who,
                                       direction="out", kind="text", text="answer",
                                       route=routes[n % len(routes)], now=moment)
        for n in range(messages // 100):
            moment = END - timedelta(minutes=n * 37 % (90 * 1440))
            handoff, _ = store.handoffs.request(customer_id=ids[n % people], platform="web",
                                                chat_id="x", user_id="x", now=moment)
            store.handoffs.claim(handoff.id, "console:agent", moment + timedelta(minutes=3))
            store.handoffs.close(handoff.id, "released", moment + timedelta(minutes=9))
            store.handoffs.rate(handoff.id, 1 + n % 5, moment + timedelta(minutes=10))
        for n in range(messages // 10):
            store.loyalty.award(ids[n % people], 5, "checkin", "", f"bench:{n}",
                                END - timedelta(hours=n % 2000))
    return ids


def timed(work: Callable[[], object], repeat: int) -> tuple[float, float]:
    """(median, worst) milliseconds of `repeat` runs."""
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        runs.append((time.perf_counter() - started) * 1000)
    return statistics.median(runs), max(runs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    config = parse_config({"knowledge_base": {"path": str(ROOT / "knowledge_base")}}, {},
                          base_dir=ROOT)
    with tempfile.TemporaryDirectory() as folder:
        store = open_store(Path(folder) / "bench.db")
        started = time.perf_counter()
        fill(store, args.messages)
        print(f"filled {args.messages} log rows, {args.messages // 100} handoffs,"
              f" {args.messages // 10} ledger rows in {time.perf_counter() - started:.1f} s")
        texts = load_texts(ROOT / "knowledge_base")
        zone = config.bot.zone
        last = END.astimezone(zone).date()
        first = last - timedelta(days=29)
        since, until = report.day_range(first, last, zone)
        rows = [0]

        def baseline() -> None:
            rows[0] = sum(n for *_, n in store.statistics.messages_by_hour(since, until))

        base = timed(baseline, args.repeat)
        stats = timed(lambda: report.build(store, texts, zone, first, last), args.repeat)
        print(f"stats, 30 days ({rows[0]} log rows): {stats[0]:.0f} ms (worst {stats[1]:.0f});"
              f" one bare grouped count of the same rows {base[0]:.0f} ms;"
              f" ratio {stats[0] / max(base[0], 0.001):.1f}")
        year = timed(lambda: report.build(store, texts, zone, date(2025, 11, 24), last), 1)
        print(f"stats, 365 days: {year[0]:.0f} ms")
        inbox = timed(lambda: store.handoffs.waiting(200), args.repeat)
        print(f"inbox queue: {inbox[0]:.1f} ms")
        search = timed(lambda: customers.search(store, "Customer 777"), args.repeat)
        print(f"customer search ({store.customers.count()} customers): {search[0]:.0f} ms")

        faqs = load_faqs(ROOT / "knowledge_base")
        store.kb.seed(faqs, END)
        live = FaqIndex(store.kb)
        live.refresh()
        questions = store.statistics.recent_questions(500)
        questions += [p for faq in faqs for p in faq.phrasings()]
        draft = replace(faqs[0], questions={**faqs[0].questions, "zh-Hans": (
            *faqs[0].questions.get("zh-Hans", ()), "问题 42")})
        once = timed(lambda: [live.search(q, 2) for q in questions], args.repeat)
        preview = timed(lambda: impact.preview(faqs, draft, questions,
                                               config.knowledge_base), args.repeat)
        print(f"KB preview ({len(questions)} questions, {len(faqs)} FAQs): {preview[0]:.0f} ms"
              f" (worst {preview[1]:.0f}); ranking them once with the live index"
              f" {once[0]:.0f} ms; ratio {preview[0] / max(once[0], 0.001):.1f}")
        store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
