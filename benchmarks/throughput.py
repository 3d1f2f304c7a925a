"""Throughput of POST /api/chat against a bare aiohttp JSON echo server, measured in one run.

Starts `brandbot serve` on a fresh store file and a minimal echo server, each in its own
process on 127.0.0.1, and drives both with the same concurrent clients. Every chat message
has a unique message id, so each one is deduped, logged both ways, routed through the FAQ
matcher and has its replies recorded in SQLite before the answer is sent.

    python benchmarks/throughput.py [--clients 64] [--seconds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = [
    "多久发货", "运费多少", "可以退货吗？", "How long until my order ships?", "return policy",
    "怎么泡龙井", "紫砂壶怎么开壶", "营业时间", "do you ship internationally", "积分怎么用",
    "how do I store pu-erh", "发票怎么开", "blah blah blah", "我的快递到哪了",
]
ECHO_SERVER = """
import sys
from aiohttp import web

async def echo(request):
    data = await request.json()
    return web.json_response({"replies": [{"text": data.get("text", ""), "buttons": []}]})

async def session(request):
    return web.json_response({"user_id": "echo", "token": "echo"})

app = web.Application()
app.router.add_post("/api/chat", echo)
app.router.add_post("/api/chat/session", session)
app.router.add_get("/healthz", lambda request: web.json_response({"status": "ok"}))
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def wait_ready(url: str) -> None:
    async with aiohttp.ClientSession() as session:
        for _ in range(200):
            try:
                async with session.get(url + "/healthz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.05)
    raise RuntimeError(f"{url} did not start")


async def drive(url: str, clients: int, seconds: float, label: str) -> dict[str, float]:
    """Send chat messages from `clients` concurrent loops for `seconds`."""
    latencies: list[float] = []
    errors = 0
    counter = itertools.count()
    connector = aiohttp.TCPConnector(limit=clients)

    async def sign_in(session: aiohttp.ClientSession) -> dict[str, str]:
        # Each client is one web visitor: a session first (not timed), as the widget does.
        async with session.post(url + "/api/chat/session", json={"mode": "token"}) as response:
            token = (await response.json())["token"]
        return {"Authorization": f"Bearer {token}"}

    async def client(headers: dict[str, str], session: aiohttp.ClientSession) -> None:
        nonlocal errors
        while time.perf_counter() < deadline:
            index = next(counter)
            body = {
                "text": QUESTIONS[index % len(QUESTIONS)], "button": None,
                "message_id": f"{label}-{index}",
            }
            started = time.perf_counter()
            async with session.post(url + "/api/chat", json=body, headers=headers) as response:
                await response.read()
                if response.status != 200:
                    errors += 1
            latencies.append(time.perf_counter() - started)

    async with aiohttp.ClientSession(connector=connector) as session:
        visitors = [await sign_in(session) for _ in range(clients)]
        deadline = time.perf_counter() + seconds
        started = time.perf_counter()
        await asyncio.gather(*(client(headers, session) for headers in visitors))
        elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "messages": len(latencies),
        "per_second": len(latencies) / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
        "errors": errors,
    }


def start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as output:
        return subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "bench.db"
        env = {**os.environ, "BRANDBOT_DB": str(db), "PYTHONUNBUFFERED": "1"}
        bot_port, echo_port = free_port(), free_port()
        bot = start([sys.executable, "-m", "bot", "serve", "--config", str(ROOT / "config.toml"),
                     "--port", str(bot_port)], env, Path(folder) / "bot.log")
        echo = start([sys.executable, "-c", ECHO_SERVER, str(echo_port)], env,
                     Path(folder) / "echo.log")
        try:
            await wait_ready(f"http://127.0.0.1:{bot_port}")
            await wait_ready(f"http://127.0.0.1:{echo_port}")
            await drive(f"http://127.0.0.1:{bot_port}", 8, 1.0, "warmup")
            ceiling = await drive(f"http://127.0.0.1:{echo_port}", args.clients, args.seconds,
                                  "echo")
            brandbot = await drive(f"http://127.0.0.1:{bot_port}", args.clients, args.seconds,
                                   "bot")
        finally:
            for process in (bot, echo):
                process.terminate()
                process.wait(timeout=10)
        from bot.store import open_store

        store = open_store(db)
        logged = store.conversations.count()
        deliveries = store.deliveries.count()
        store.close()
    print(f"{args.clients} concurrent clients, {args.seconds:.0f} s each, cores: {os.cpu_count()}")
    print(f"{'server':<22}{'messages/s':>12}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}")
    for name, result in (("aiohttp echo ceiling", ceiling), ("brandbot /api/chat", brandbot)):
        print(f"{name:<22}{result['per_second']:>12.0f}{result['p50_ms']:>9.1f}"
              f"{result['p99_ms']:>9.1f}{result['errors']:>8.0f}")
    print(f"ratio to ceiling: {brandbot['per_second'] / ceiling['per_second']:.2f}")
    print(f"store after the run: {deliveries} deliveries recorded, {logged} log lines "
          f"(both directions; warm-up included)")


if __name__ == "__main__":
    asyncio.run(main())
