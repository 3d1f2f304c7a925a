"""Scale-out: messages a second and p99 for 1, 2 and 4 `brandbot serve` instances on one
PostgreSQL database, with one instance on a SQLite file as the baseline, in the same run.

A PostgreSQL server is started for the run (Debian's binaries, initdb in a temporary folder,
as the test suite does; fsync stays on here, unlike the suite's). Each setup gets a fresh
database (or file) and the sample brand; its instances are child processes on 127.0.0.1 and
the clients, each a web visitor with its own session, spread their messages round-robin over
them (as a balancer in front would). Every message has a unique text and message id and is
answered after it is handled and its replies stored. Printed per setup: msg/s, p50 and p99
of the answer's latency, the ratio to the SQLite baseline, and the errors (non-200 answers).

    python benchmarks/scaleout.py [--seconds 5] [--clients 32] [--instances 1,2,4]

The instances, the PostgreSQL server and the load generator share this machine's cores: the
numbers say what several instances cost and give on one machine; on separate machines each
instance would have its own cores.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.questions import unique_questions  # noqa: E402
from tests.helpers.child_server import ServerProcess  # noqa: E402
from tests.helpers.postgres import Cluster, binaries  # noqa: E402

# A load generator is one address with many visitors: its limits are raised, not off.
RAISED_LIMITS = {"messages_per_minute": 100_000, "message_burst": 10_000,
                 "address_messages_per_minute": 10_000_000, "sessions_per_minute": 10_000,
                 "session_burst": 10_000}


@dataclass(slots=True)
class Result:
    """One setup's numbers."""

    name: str
    messages: int
    per_second: float
    p50_ms: float
    p99_ms: float
    errors: int


def tables(store: dict[str, Any]) -> dict[str, Any]:
    """The sample brand on `store`, lexical matching, no access log, limits raised."""
    return {"store": store, "knowledge_base": {"semantic": False},
            "server": {"access_log": False}, "web": RAISED_LIMITS}


async def drive(
    name: str, urls: list[str], clients: int, seconds: float, texts: Iterator[str],
    ids: Iterator[int],
) -> Result:
    """`clients` visitors posting unique messages for `seconds`, round-robin over `urls`."""
    latencies: list[float] = []
    errors = 0
    turn = itertools.count()

    async def sign_in(session: aiohttp.ClientSession, url: str) -> dict[str, str]:
        async with session.post(url + "/api/chat/session", json={"mode": "token"}) as answer:
            token = (await answer.json())["token"]
        return {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    async def client(headers: dict[str, str], session: aiohttp.ClientSession) -> None:
        nonlocal errors
        while time.perf_counter() < deadline:
            url = urls[next(turn) % len(urls)]
            body = json.dumps({"text": next(texts), "message_id": f"m-{next(ids)}"},
                              ensure_ascii=False).encode()
            started = time.perf_counter()
            try:
                async with session.post(url + "/api/chat", data=body,
                                        headers=headers) as answer:
                    await answer.read()
                    if answer.status != 200:
                        errors += 1
            except aiohttp.ClientError:
                errors += 1
            latencies.append(time.perf_counter() - started)

    connector = aiohttp.TCPConnector(limit=clients * 2)
    async with aiohttp.ClientSession(connector=connector) as session:
        visitors = [await sign_in(session, urls[number % len(urls)])
                    for number in range(clients)]
        started = time.perf_counter()
        deadline = started + seconds
        await asyncio.gather(*(client(headers, session) for headers in visitors))
        elapsed = time.perf_counter() - started
    latencies.sort()
    count = len(latencies)
    return Result(name, count, count / elapsed, statistics.median(latencies) * 1000,
                  latencies[max(int(count * 0.99) - 1, 0)] * 1000, errors)


async def run_setup(
    name: str, folder: Path, store: dict[str, Any], count: int, args: argparse.Namespace,
    texts: Iterator[str], ids: Iterator[int],
) -> Result:
    """Start `count` instances on `store`, drive them, stop them."""
    servers = [ServerProcess(folder / f"{name}-{number}", tables(store))
               for number in range(count)]
    try:
        for server in servers:  # one at a time: the first migrates, the others find it done
            await server.start(timeout=120)
        # Warm up (imports, caches, the pools' connections), then measure.
        await drive(name, [server.url for server in servers], args.clients, 1.0, texts, ids)
        return await drive(name, [server.url for server in servers], args.clients,
                           args.seconds, texts, ids)
    finally:
        for server in servers:
            await server.terminate()


def durable_cluster(bin_dir: Path) -> Cluster:
    """The suite's cluster, but with fsync and synchronous commits on (a real server's)."""
    cluster = Cluster(bin_dir, durable=True)
    cluster.start()
    return cluster


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--instances", default="1,2,4")
    args = parser.parse_args()
    counts = [int(part) for part in args.instances.split(",") if part]
    bin_dir = binaries()
    if bin_dir is None:
        sys.exit("PostgreSQL is not installed (apt-get install postgresql)")
    texts = unique_questions()
    ids = itertools.count(1)
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="brandbot-scaleout-") as temporary:
        folder = Path(temporary)
        results.append(await run_setup(
            "sqlite x1", folder, {"path": str(folder / "baseline.db")}, 1, args, texts, ids
        ))
        # Off the loop: the template's migrations are plain (blocking) store calls.
        cluster = await asyncio.to_thread(durable_cluster, bin_dir)
        try:
            for count in counts:
                url = await asyncio.to_thread(cluster.create, f"scaleout_{count}")
                results.append(await run_setup(
                    f"postgresql x{count}", folder, {"url": url}, count, args, texts, ids
                ))
        finally:
            cluster.stop()
    baseline = results[0].per_second
    print(f"\n{args.clients} clients, {args.seconds:.0f} s each, web chat (POST /api/chat)\n")
    print("| setup | msg/s | p50 ms | p99 ms | vs SQLite x1 | errors |")
    print("|---|---|---|---|---|---|")
    for result in results:
        print(f"| {result.name} | {result.per_second:,.0f} | {result.p50_ms:.0f} |"
              f" {result.p99_ms:.0f} | {result.per_second / baseline:.2f} | {result.errors} |")


if __name__ == "__main__":
    asyncio.run(main())
