"""What waiting and time cost: the outbox behind a platform's rate limit, and a month of traffic.

1. The outbox waiting on Telegram's limit (30 sends a second): CPU a second and per send with
   a short queue (the baseline, same run) and with a long one, each row for its own chat as
   in a broadcast or a burst of replies, and the long one again in a few chats (a backlog of
   replies to a few busy customers: each chat's rows wait behind its head, which Telegram
   takes at about one a second). "Costs nothing while it waits" means a long queue costs what
   the short one does a send: the ratios printed should be about 1.
2. A month of traffic on a simulated clock, one day at a time: messages from returning and new
   customers through the real pipeline, the retention job at its default periods once a
   day. Printed each week: store size, rows kept per table, the process's memory, and the
   entries in the in-memory rate limiters. Bounded means the numbers level off once the
   retention periods (14 days for deliveries and sends) have passed.

    python benchmarks/soak.py month [--long 18000] [--deep-chats 16] [--seconds 5] [--days 30]
        [--per-day 600]
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.questions import unique_questions  # noqa: E402
from bot.adapters.telegram.adapter import TelegramAdapter  # noqa: E402
from bot.app import build_bot  # noqa: E402
from bot.config import parse_config  # noqa: E402
from bot.config.outbox import OutboxSettings  # noqa: E402
from bot.core.adapter import OutboundRequest, SendResult, SendStatus  # noqa: E402
from bot.core.clock import Clock, FixedClock  # noqa: E402
from bot.core.message import Message, MessageKind  # noqa: E402
from bot.runtime.outbox import Outbox  # noqa: E402
from bot.runtime.retention import Retention  # noqa: E402
from bot.store import Store, open_store  # noqa: E402


class AcceptingTransport:
    """A platform that takes every send at once (no network: only the outbox's own cost)."""

    def __init__(self) -> None:
        self.sent = 0

    async def send(
        self, session: aiohttp.ClientSession, request: OutboundRequest
    ) -> SendResult:
        self.sent += 1
        return SendResult(SendStatus.SENT, platform_message_id=str(self.sent))


def fill(store: Store, rows: int, chats: int | None = None) -> None:
    """`rows` pending Telegram sends, each to a chat of its own or spread over `chats`."""
    now = Clock().now()
    with store.transaction():
        for number in range(rows):
            chat = str(7_000_000 + (number if chats is None else number % chats))
            store.outbox.enqueue(
                OutboundRequest("telegram", chat, "/sendMessage",
                                {"chat_id": chat, "text": f"reply {number}"}, user_id=chat),
                now, dedupe_key=f"soak:{number}",
            )


async def outbox_cost(
    rows: int, seconds: float, folder: Path, chats: int | None = None
) -> tuple[float, int]:
    """CPU seconds a second of this process while the outbox works through `rows` rows."""
    store = open_store(folder / f"outbox-{rows}-{chats}.db", busy_timeout_ms=100,
                       group_commit=True)
    fill(store, rows, chats)
    transport = AcceptingTransport()
    outbox = Outbox(store, OutboxSettings(), {"telegram": transport},
                    {"telegram": TelegramAdapter.rate_limits}, Clock())
    await outbox.start()
    await asyncio.sleep(1.0)  # past the burst, into the steady rate
    sent_before = transport.sent
    cpu = time.process_time()
    await asyncio.sleep(seconds)
    used = time.process_time() - cpu
    sent = transport.sent - sent_before
    await outbox.stop()
    store.close()
    return used / seconds, sent


def config_for(folder: Path) -> object:
    return parse_config(
        {"store": {"path": str(folder / "soak.db")},
         "knowledge_base": {"path": str(ROOT / "knowledge_base"), "semantic": False},
         "orders": {"samples": str(ROOT / "samples" / "orders.csv")}},
        {}, base_dir=ROOT,
    )


def table_counts(store: Store) -> dict[str, int]:
    names = ("conversation_log", "deliveries", "outbox", "kv", "customers", "dead_letters")
    return {name: int(store.db.scalar(f"SELECT count(*) FROM {name}")) for name in names}


async def month(days: int, per_day: int, folder: Path) -> None:
    """Simulated days of traffic with the daily retention round; a line per week."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    clock = FixedClock(start)
    bot = build_bot(config_for(folder), clock=clock)  # type: ignore[arg-type]
    await bot.start(loops=False)
    retention = Retention(bot.store, bot.config.privacy, clock)
    texts = unique_questions()
    returning = 200  # customers who keep writing; the others are new each day
    number = 0
    print(f"{'day':>4}{'store MB':>10}{'log':>8}{'deliveries':>11}{'outbox':>8}{'kv':>7}"
          f"{'customers':>10}{'RSS MB':>8}{'limiter':>9}")
    try:
        for day in range(1, days + 1):
            for index in range(per_day):
                number += 1
                user = f"r{index % returning}" if index % 3 else f"d{day}-{index}"
                clock.moment = start + timedelta(days=day - 1, seconds=index * 86400 / per_day)
                message = Message(platform="web", message_id=f"soak-{number}", user_id=user,
                                  chat_id=user, kind=MessageKind.TEXT, text=next(texts),
                                  received_at=clock.moment)
                await bot.pipeline.receive(message)
            await bot.store.committed()
            clock.moment = start + timedelta(days=day)
            await retention.round()
            await bot.store.committed()
            if day % 7 == 0 or day == days:
                counts = table_counts(bot.store)
                size = sum(path.stat().st_size for path in folder.glob("soak.db*")) / 1e6
                rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
                print(f"{day:>4}{size:>10.1f}{counts['conversation_log']:>8}"
                      f"{counts['deliveries']:>11}{counts['outbox']:>8}{counts['kv']:>7}"
                      f"{counts['customers']:>10}{rss:>8.0f}"
                      f"{len(bot.outbox.limiter.buckets):>9}", flush=True)
    finally:
        await bot.stop()


async def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--short", type=int, default=400)
    parser.add_argument("--long", type=int, default=18_000)
    parser.add_argument("--deep-chats", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--per-day", type=int, default=600)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=ROOT) as name:
        folder = Path(name)
        print(f"1. the outbox at Telegram's 30 sends/s, {args.seconds:.0f} s each")
        short_cpu, short_sent = await outbox_cost(args.short, args.seconds, folder)
        long_cpu, long_sent = await outbox_cost(args.long, args.seconds, folder)
        deep_cpu, deep_sent = await outbox_cost(args.long, args.seconds, folder,
                                                args.deep_chats)
        per_send = {}
        for label, rows, cpu, sent in (
            ("a chat each", args.short, short_cpu, short_sent),
            ("a chat each", args.long, long_cpu, long_sent),
            (f"in {args.deep_chats} chats", args.long, deep_cpu, deep_sent),
        ):
            per_send[(label, rows)] = cpu * args.seconds / max(sent, 1) * 1000
            print(f"  {rows:>6} rows pending, {label:<12}: {sent / args.seconds:5.1f} sends/s,"
                  f" CPU {cpu * 100:5.1f} % of a core, {per_send[(label, rows)]:.2f} ms a send")
        short = per_send[("a chat each", args.short)]
        print(f"  CPU a send, long / short: {long_cpu / max(short_cpu, 1e-9):.2f} (a chat each),"
              f" {per_send[(f'in {args.deep_chats} chats', args.long)] / max(short, 1e-9):.2f}"
              f" (in {args.deep_chats} chats)")
        print(f"\n2. {args.days} days of {args.per_day} messages on a simulated clock")
        await month(args.days, args.per_day, folder)


if __name__ == "__main__":
    asyncio.run(main())
