"""A soak: `brandbot serve` under a mixed load for an hour, with faults on a schedule.

Starts the server as a child process on a fresh store, with fake Telegram, WhatsApp and
WeChat APIs on 127.0.0.1 (tests/helpers/platforms.py), and customers on all four channels
asking FAQ questions, making small talk, looking up orders and checking in. After a
fault-free baseline it injects, in turn: a platform API answering 5xx, duplicate deliveries,
an API that hangs, kill -9 and a restart, another 5xx burst, SIGTERM and a restart. Every
interval prints messages in, replies out, lost, duplicates, latency, the server's RSS and the
WAL size; the end prints a summary and p99 with faults against the baseline's p99.

    python benchmarks/soak.py [--seconds 3600] [--interval 60] [--customers 6]

    python benchmarks/soak.py month [--long 18000] [--days 30] [--per-day 600]

`month` runs the other soak instead (benchmarks/soak_month.py): the outbox waiting on a
platform's rate limit, and a month of traffic on a simulated clock with the retention job.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import soak_month  # noqa: E402
from bot.store import open_store  # noqa: E402
from tests.helpers import customers  # noqa: E402
from tests.helpers.child_server import ServerProcess  # noqa: E402
from tests.helpers.crowd import Crowd, Message  # noqa: E402
from tests.helpers.platforms import ENV, PLATFORMS, FakePlatforms  # noqa: E402
from tests.helpers.tally import Tally, tally  # noqa: E402

TEXTS = [
    "多久发货", "运费多少", "how do I return something?", "怎么泡龙井", "营业时间",  # FAQ
    "你好", "谢谢", "hi",  # small talk
    "我的快递到哪了", "CL2611180001",  # order lookups
    "签到",  # check-in
]
MB = 1024 * 1024


@dataclass
class Soak:
    """The run: server, fakes, crowd, and what was measured."""

    server: ServerProcess
    fakes: FakePlatforms
    crowd: Crowd
    started: float = field(default_factory=time.perf_counter)
    baseline_until: float = 0.0
    on_the_wire_at_kills: int = 0
    windows: list[tuple[float, float]] = field(default_factory=list)  # faults: from, to
    rss: list[int] = field(default_factory=list)
    wal: list[int] = field(default_factory=list)
    verified: int = 0  # messages checked for being in the store, in order
    missing: list[str] = field(default_factory=list)

    def now(self) -> float:
        """Seconds since the start."""
        return time.perf_counter() - self.started

    def say(self, text: str) -> None:
        """A line of the report."""
        print(f"{self.now():7.0f}s  {text}", flush=True)

    async def burst(self, platform: str, how: str, seconds: float) -> None:
        """A platform API failing (5xx) or hanging for a while."""
        link = self.fakes.links[platform]
        self.say(f"fault: {platform} API {'answers 503' if how == 'fail' else 'hangs'} "
                 f"for {seconds:.0f} s")
        link.fail(503) if how == "fail" else link.hang()
        await asyncio.sleep(seconds)
        link.heal()
        self.say(f"fault over: {platform} API back")

    async def duplicates(self, copies: int = 5) -> None:
        """Platforms delivering recent messages again, several times at once."""
        recent = [message.delivery for message in self.crowd.messages[-200:]
                  if message.delivery.acked and message.delivery.platform != "web"]
        chosen = random.sample(recent, min(20, len(recent)))
        self.say(f"fault: {len(chosen)} messages delivered {copies} more times each, at once")
        session, url = self.crowd.session, self.crowd.url
        await asyncio.gather(*(customers.post(session, url, delivery)
                               for delivery in chosen for _ in range(copies)))

    async def kill(self) -> None:
        """kill -9, then a restart on the same store."""
        await self.server.kill()
        store = open_store(self.server.db)
        try:
            on_the_wire = store.outbox.counts().get("sending", 0)
        finally:
            store.close()
        self.on_the_wire_at_kills += on_the_wire
        self.say(f"fault: kill -9 ({on_the_wire} sends on the wire), restarting")
        await self.server.start()
        self.say("restarted")

    async def terminate(self) -> None:
        """SIGTERM, then a restart."""
        self.say("fault: SIGTERM, restarting")
        code = await self.server.terminate()
        await self.server.start()
        self.say(f"restarted (the stop exited {code})")

    async def report(self, previous: tuple[float, int]) -> tuple[float, int]:
        """One interval's line."""
        messages = self.crowd.messages
        start, sends_before = previous
        end = self.now()
        written = [message for message in messages
                   if start <= message.started - self.started < end]
        done = [message for message in messages if message.replied_after is not None
                and start <= message.started + message.replied_after - self.started < end]
        waiting = sum(1 for message in messages if message.delivery.acked
                      and message.replied_after is None)
        self.crowd.watch.update()
        passive = sum(1 for message in done if message.replied_after == message.acked_after)
        replies_out = self.crowd.watch.total - sends_before + passive
        result = await asyncio.to_thread(self.check)
        self.rss.append(self.server.rss_bytes())
        self.wal.append(self.server.wal_bytes())
        latencies = sorted(message.replied_after or 0.0 for message in done)
        phase = "baseline" if start < self.baseline_until else "faults"
        print(f"{end:7.0f}s  {phase:<9}{len(written):>6}{replies_out:>6}{waiting:>8}"
              f"{len(self.missing):>6}{result.duplicates + len(result.handled_twice):>5}"
              f"{percentile(latencies, 50):>8.0f}{percentile(latencies, 99):>8.0f}"
              f"{percentile(latencies, 100):>8.0f}"
              f"{self.rss[-1] / MB:>8.1f}{self.wal[-1] / MB:>8.1f}", flush=True)
        return end, self.crowd.watch.total

    def check(self) -> Tally:
        """Acknowledged messages since the last check must be in the store (else: lost)."""
        store = open_store(self.server.db)
        try:
            messages = self.crowd.messages
            while self.verified < len(messages):
                message = messages[self.verified]
                posting = time.perf_counter() - message.started < self.crowd.give_up
                if not message.delivery.acked and posting:
                    break  # not acknowledged yet: checked next time
                delivery = message.delivery
                stored = store.deliveries.get(delivery.platform, delivery.key)
                if delivery.acked and stored is None:
                    self.missing.append(f"{delivery.platform}:{delivery.key}")
                self.verified += 1
        finally:
            store.close()
        return tally(self.server.db, self.crowd.deliveries, self.fakes.sends())


def percentile(values: list[float], which: int) -> float:
    """The `which`th percentile in milliseconds (0 for no values)."""
    if not values:
        return 0.0
    index = min(len(values) - 1, max(0, round(len(values) * which / 100) - 1))
    return values[index] * 1000


def schedule(soak: Soak, seconds: float, baseline: float) -> list[tuple[float, Awaitable[None]]]:
    """The faults: one cycle every ten minutes or so, each fault at the start of its slot."""
    cycle: list[Callable[[float], Awaitable[None]]] = [
        lambda length: soak.burst("telegram", "fail", length),
        lambda length: soak.duplicates(),
        lambda length: soak.burst("whatsapp", "hang", length),
        lambda length: soak.kill(),
        lambda length: soak.burst("wechat", "fail", length),
        lambda length: soak.terminate(),
    ]
    cycles = max(1, round((seconds - baseline) / 600))
    slots = cycles * len(cycle)
    slot = (seconds - baseline) / slots
    length = min(30.0, slot / 2)
    return [(baseline + index * slot, cycle[index % len(cycle)](length))
            for index in range(slots)]


async def run_faults(soak: Soak, plan: list[tuple[float, Awaitable[None]]]) -> None:
    for at, fault in plan:
        await asyncio.sleep(max(0.0, at - soak.now()))
        began = soak.now()
        await fault
        soak.windows.append((began, soak.now()))


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3600.0)
    parser.add_argument("--interval", type=float, default=None,
                        help="seconds between report lines (default: 60, or 10 below 10 min)")
    parser.add_argument("--customers", type=int, default=6, help="per channel")
    args = parser.parse_args()
    interval = args.interval or (60.0 if args.seconds >= 600 else 10.0)
    baseline = min(60.0, args.seconds / 4)
    fakes = FakePlatforms()
    await fakes.start()
    with tempfile.TemporaryDirectory() as folder:
        server = ServerProcess(Path(folder), {
            "platforms": fakes.tables(),
            # The defaults but shorter leases: a kill's orphans come back within seconds.
            "outbox": {"base_delay_seconds": 0.5, "max_delay_seconds": 30.0,
                       "timeout_seconds": 5.0, "poll_interval_seconds": 0.5,
                       "lease_seconds": 6.0},
        }, ENV)
        try:
            await server.start()
            async with aiohttp.ClientSession() as session:
                crowd = Crowd(session, server.url, fakes,
                              {platform: args.customers for platform in ("web", *PLATFORMS)},
                              TEXTS, think=1.0, jitter=2.0)
                soak = Soak(server, fakes, crowd, baseline_until=baseline)
                await soak_for(soak, args.seconds, interval, baseline)
        finally:
            server.stop_now()
            await fakes.close()


async def soak_for(soak: Soak, seconds: float, interval: float, baseline: float) -> None:
    print(f"soak: {seconds:.0f} s, {sum(soak.crowd.platforms.values())} customers on "
          f"{', '.join(soak.crowd.platforms)}; baseline (no faults) for the first "
          f"{baseline:.0f} s; server pid {soak.server.pid}")
    print(f"{'time':>8}  {'phase':<9}{'in':>6}{'out':>6}{'waiting':>8}{'lost':>6}{'dup':>5}"
          f"{'p50 ms':>8}{'p99 ms':>8}{'max ms':>8}{'RSS MB':>8}{'WAL MB':>8}")
    await soak.crowd.start()
    faults = asyncio.create_task(run_faults(soak, schedule(soak, seconds, baseline)))
    previous = (0.0, 0)
    while soak.now() < seconds:
        await asyncio.sleep(min(interval, seconds - soak.now()))
        previous = await soak.report(previous)
    await faults
    soak.say("load stopped; waiting for the last replies")
    await soak.crowd.stop()
    deadline = time.perf_counter() + 60
    while time.perf_counter() < deadline:
        if (await asyncio.to_thread(soak.check)).settled:
            break
        await asyncio.sleep(0.5)
    summarise(soak, await asyncio.to_thread(soak.check))


def summarise(soak: Soak, result: Tally) -> None:
    messages = soak.crowd.messages

    def latencies(chosen: list[Message]) -> list[float]:
        return sorted(message.replied_after for message in chosen
                      if message.replied_after is not None)

    def during(message: Message) -> bool:
        at = message.started - soak.started
        return any(began <= at <= ended for began, ended in soak.windows)

    after = [message for message in messages
             if message.started - soak.started >= soak.baseline_until]
    calm = latencies([message for message in messages
                      if message.started - soak.started < soak.baseline_until])
    faulted = latencies([message for message in after if during(message)])
    between = latencies([message for message in after if not during(message)])
    unanswered = sum(1 for message in messages if message.replied_after is None)
    lost = len(soak.missing) + len(result.lost) + len(result.unhandled) + len(
        result.undelivered)
    print()
    print(f"messages in {len(messages)}, acknowledged {result.acked}, refused "
          f"{len(soak.crowd.refused)}, never acknowledged "
          f"{sum(1 for message in messages if not message.delivery.acked)}")
    print(f"replies out: {len(soak.fakes.sends())} platform sends, outbox rows "
          f"{dict(result.rows)}; messages without a reply seen: {unanswered}")
    print(f"lost (acknowledged, then not stored, not handled or not delivered): {lost}")
    print(f"duplicates: {result.duplicates} sends twice (sends on the wire at the kills: "
          f"{soak.on_the_wire_at_kills}), {len(result.handled_twice)} messages handled twice")
    ratio = percentile(faulted, 99) / max(percentile(calm, 99), 0.001)
    print("reply latency p50 / p99 / max:")
    for name, chosen in (("baseline (no faults yet)", calm), ("written during a fault", faulted),
                         ("written between faults", between)):
        print(f"  {name:<26}{percentile(chosen, 50):>7.0f} /{percentile(chosen, 99):>7.0f} /"
              f"{percentile(chosen, 100):>7.0f} ms ({len(chosen)} replies)")
    print(f"p99 during faults / baseline p99: {ratio:.1f}x")
    if soak.rss:
        print(f"server RSS: first {soak.rss[0] / MB:.1f} MB, last {soak.rss[-1] / MB:.1f} MB, "
              f"max {max(soak.rss) / MB:.1f} MB; WAL max {max(soak.wal) / MB:.1f} MB, "
              f"last {soak.wal[-1] / MB:.1f} MB")


if __name__ == "__main__":
    if sys.argv[1:2] == ["month"]:
        del sys.argv[1]
        asyncio.run(soak_month.main())
    else:
        asyncio.run(main())
