"""Throughput of the bot against the ceilings of its own building blocks, measured in one run.

For each core count (1 and 2, by CPU affinity) it starts, each in its own process on
127.0.0.1 pinned to those cores: a bare aiohttp echo server, a server that does one SQLite
INSERT (its own commit) per request at `synchronous = NORMAL` and at `FULL` (the durable
ceilings of one commit a message), and `brandbot serve` on a fresh store at NORMAL and at
FULL. Each is driven at 1, 16 and 64 concurrent clients on two paths: `POST /api/chat` (each
client a web visitor with its own session token, the flood limits raised for the run, not
switched off) and a Telegram webhook signed with its secret token. Every message has a unique
text (`benchmarks/questions.py`) and message id. The bot answers the web chat after the
message is handled and its replies stored; it acknowledges a Telegram update once recorded and
handles it in the background, so its Telegram rate counts until every update is handled.
The replies to Telegram go to a fake Bot API on loopback (sent at Telegram's own 30/s; the
rest wait in the outbox).

Printed per cell: messages a second, p50 and p99 of the answer's latency, CPU milliseconds a
message in the server's processes, and the ratio to the echo server of the same cell.

    python benchmarks/throughput.py [--seconds 4] [--cores 1,2] [--clients 1,16,64]
        [--paths web,telegram] [--modes NORMAL,FULL] [--tree PATH] [--match-workers 1]

`--tree PATH` runs the bot of another checkout (an older commit, for before/after) with the
same baselines; a tree without `[store] synchronous` and `match_workers` runs with
`--modes NORMAL --match-workers 0`.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.questions import unique_questions  # noqa: E402
from tests.fakes.telegram_api import SECRET, TOKEN, FakeTelegramApi  # noqa: E402
from tests.helpers.server import environment, write_config  # noqa: E402

TELEGRAM_PATH = "/webhooks/telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# The same two endpoints as the bot, answered without any work: the HTTP stack's ceiling.
ECHO_SERVER = """
import sys
from aiohttp import web

async def chat(request):
    data = await request.json()
    return web.json_response({"replies": [{"text": data.get("text", ""), "buttons": []}]})

async def webhook(request):
    await request.read()
    return web.Response(text="ok")

async def session(request):
    return web.json_response({"user_id": "echo", "token": "echo"})

app = web.Application()
app.router.add_post("/api/chat", chat)
app.router.add_post("/webhooks/telegram", webhook)
app.router.add_post("/api/chat/session", session)
app.router.add_get("/healthz", lambda request: web.json_response({"status": "ok"}))
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)
"""
# One INSERT and its commit per request, then the answer: what durably recording each
# message on its own costs, at the synchronous level given.
INSERT_SERVER = """
import sqlite3, sys
from aiohttp import web

db = sqlite3.connect(sys.argv[2], isolation_level=None)
db.execute("PRAGMA journal_mode = WAL")
db.execute(f"PRAGMA synchronous = {sys.argv[3]}")
db.execute("CREATE TABLE IF NOT EXISTS messages (id INTEGER PRIMARY KEY, body TEXT)")

async def chat(request):
    body = await request.read()
    db.execute("INSERT INTO messages (body) VALUES (?)", [body.decode()])
    return web.json_response({"replies": [{"text": "ok", "buttons": []}]})

async def webhook(request):
    body = await request.read()
    db.execute("INSERT INTO messages (body) VALUES (?)", [body.decode()])
    return web.Response(text="ok")

async def session(request):
    return web.json_response({"user_id": "insert", "token": "insert"})

app = web.Application()
app.router.add_post("/api/chat", chat)
app.router.add_post("/webhooks/telegram", webhook)
app.router.add_post("/api/chat/session", session)
app.router.add_get("/healthz", lambda request: web.json_response({"status": "ok"}))
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)
"""


@dataclass
class Result:
    """One cell of the table."""

    messages: int
    per_second: float
    p50_ms: float
    p99_ms: float
    cpu_ms: float  # CPU of the server's processes per message
    errors: int


@dataclass
class Server:
    """A server process under test."""

    name: str
    process: subprocess.Popen[bytes]
    url: str
    store: Path | None = None  # the bot's store file, to see when handling is done

    def stop(self) -> None:
        """Terminate it (SIGTERM, as an init system would) and wait."""
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User and system CPU of a process and of all its descendants still running."""
    tick = os.sysconf("SC_CLK_TCK")
    children: dict[int, list[int]] = {}
    stats: dict[int, list[str]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            text = (entry / "stat").read_text()
        except OSError:
            continue
        fields = text[text.rindex(")") + 2:].split()
        stats[int(entry.name)] = fields
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        fields = stats.get(current)
        if fields is not None:
            total += (int(fields[11]) + int(fields[12])) / tick
        todo += children.get(current, [])
    return total


def pinned(cores: set[int]) -> Callable[[], None]:
    """A preexec function giving the child process only these cores."""
    return lambda: os.sched_setaffinity(0, cores)


async def wait_ready(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    async with aiohttp.ClientSession() as session:
        for _ in range(1200):
            if process.poll() is not None:
                raise RuntimeError(f"{url} exited:\n{log.read_text(errors='replace')[-3000:]}")
            try:
                async with session.get(url + "/healthz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.05)
    raise RuntimeError(f"{url} did not start")


def telegram_update(update_id: int, user: int, text: str) -> bytes:
    """A private text message as Telegram's webhook delivers it."""
    person = {"id": user, "is_bot": False, "first_name": "Load", "language_code": "zh-hans"}
    return json.dumps({
        "update_id": update_id,
        "message": {
            "message_id": update_id, "from": person,
            "chat": {"id": user, "first_name": "Load", "type": "private"},
            "date": int(time.time()), "text": text,
        },
    }, ensure_ascii=False).encode()


def unhandled(store: Path) -> int:
    """Deliveries recorded but not handled yet (read through a connection of our own)."""
    with sqlite3.connect(f"file:{store}?mode=ro", uri=True, timeout=5) as db:
        return int(db.execute(
            "SELECT count(*) FROM deliveries WHERE status = 'received'"
        ).fetchone()[0])


async def drive(
    server: Server, path: str, clients: int, seconds: float, texts: Iterator[str],
    ids: Iterator[int],
) -> Result:
    """`clients` concurrent loops posting unique messages for `seconds`."""
    latencies: list[float] = []
    errors = 0
    connector = aiohttp.TCPConnector(limit=clients)

    async def sign_in(session: aiohttp.ClientSession) -> dict[str, str]:
        # Each client is one web visitor: a session first (not timed), as the widget does.
        async with session.post(
            server.url + "/api/chat/session", json={"mode": "token"}
        ) as response:
            token = (await response.json())["token"]
        return {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    async def client(number: int, headers: dict[str, str], session: aiohttp.ClientSession) -> None:
        nonlocal errors
        user = 6_000_000_000 + number
        while time.perf_counter() < deadline:
            index = next(ids)
            if path == TELEGRAM_PATH:
                body = telegram_update(index, user, next(texts))
            else:
                body = json.dumps({"text": next(texts), "message_id": f"m-{index}"},
                                  ensure_ascii=False).encode()
            started = time.perf_counter()
            async with session.post(server.url + path, data=body, headers=headers) as response:
                await response.read()
                if response.status != 200:
                    errors += 1
            latencies.append(time.perf_counter() - started)

    async with aiohttp.ClientSession(connector=connector) as session:
        if path == TELEGRAM_PATH:
            visitors = [{SECRET_HEADER: SECRET, "Content-Type": "application/json"}] * clients
        else:
            visitors = [await sign_in(session) for _ in range(clients)]
        cpu_before = cpu_seconds(server.process.pid)
        started = time.perf_counter()
        deadline = started + seconds
        await asyncio.gather(*(client(n, headers, session) for n, headers in
                               enumerate(visitors)))
        if server.store is not None and path == TELEGRAM_PATH:
            # Acknowledged once recorded: the rate counts until every update is handled.
            while unhandled(server.store):
                await asyncio.sleep(0.02)
        elapsed = time.perf_counter() - started
        cpu = cpu_seconds(server.process.pid) - cpu_before
    latencies.sort()
    count = len(latencies)
    return Result(
        messages=count,
        per_second=count / elapsed,
        p50_ms=statistics.median(latencies) * 1000,
        p99_ms=latencies[max(int(count * 0.99) - 1, 0)] * 1000,
        cpu_ms=cpu / count * 1000,
        errors=errors,
    )


def bot_config(
    folder: Path, mode: str, telegram_api: str, tree: Path, match_workers: int
) -> Path:
    """The sample brand with Telegram on, limits raised for a load test, at `mode`."""
    store: dict[str, Any] = {"path": str(folder / "bot.db")}
    if mode != "NORMAL":
        store["synchronous"] = mode
    knowledge_base: dict[str, Any] = {"path": str(tree / "knowledge_base"), "semantic": False}
    if match_workers:
        knowledge_base["match_workers"] = match_workers
    return write_config(
        folder,
        store=store,
        knowledge_base=knowledge_base,
        orders={"samples": str(tree / "samples" / "orders.csv")},
        server={"access_log": False},
        # A load generator is one address with many visitors: its limits are raised, not off.
        web={"messages_per_minute": 100_000, "message_burst": 10_000,
             "address_messages_per_minute": 10_000_000, "sessions_per_minute": 10_000,
             "session_burst": 10_000},
        platforms__telegram={"enabled": True, "api_base_url": telegram_api,
                             "token_env": "BENCH_TELEGRAM_TOKEN",
                             "secret_token_env": "BENCH_TELEGRAM_SECRET"},
    )


def start(
    name: str, port: int, command: list[str], folder: Path, cores: set[int],
    env: dict[str, str], cwd: Path = ROOT, store: Path | None = None,
) -> Server:
    log = folder / f"{name.replace(' ', '-')}.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            command, env=env, stdout=output, stderr=subprocess.STDOUT, cwd=cwd,
            preexec_fn=pinned(cores),
        )
    return Server(name, process, f"http://127.0.0.1:{port}", store)


async def run_cores(
    cores: set[int], args: argparse.Namespace, telegram_api: str, texts: Iterator[str],
) -> dict[tuple[str, str, int], Result]:
    """Every server and cell on one set of cores."""
    results: dict[tuple[str, str, int], Result] = {}
    ids = itertools.count(int(time.time() * 1000) % 10**9 * 100)
    with tempfile.TemporaryDirectory(dir=args.folder) as name:
        folder = Path(name)
        env = environment(PYTHONUNBUFFERED="1", BENCH_TELEGRAM_TOKEN=TOKEN,
                          BENCH_TELEGRAM_SECRET=SECRET)
        servers: list[Server] = []
        port = free_port()
        servers.append(start("echo", port, [sys.executable, "-c", ECHO_SERVER, str(port)],
                             folder, cores, env))
        for mode in ("NORMAL", "FULL"):
            port = free_port()
            servers.append(start(
                f"sqlite insert {mode}", port,
                [sys.executable, "-c", INSERT_SERVER, str(port),
                 str(folder / f"insert-{mode}.db"), mode],
                folder, cores, env,
            ))
        for mode in args.modes:
            sub = folder / f"bot-{mode}"
            sub.mkdir()
            config = bot_config(sub, mode, telegram_api, args.tree, args.match_workers)
            port = free_port()
            bot_env = {**env, "PYTHONPATH": str(args.tree)}
            servers.append(start(
                f"brandbot {mode}", port,
                [sys.executable, "-m", "bot", "serve", "--config", str(config), "--port",
                 str(port)],
                sub, cores, bot_env, cwd=args.tree, store=sub / "bot.db",
            ))
        try:
            for server in servers:
                log = folder / f"{server.name.replace(' ', '-')}.log"
                if server.store is not None:
                    log = server.store.parent / log.name
                await wait_ready(server.url, server.process, log)
            for server in servers:
                # Warm-up: imports, the FAQ index's caches, SQLite's page cache.
                await drive(server, "/api/chat", 4, 0.5, texts, ids)
                for path in args.paths:
                    for clients in args.clients:
                        result = await drive(server, path, clients, args.seconds, texts, ids)
                        results[(server.name, path, clients)] = result
                        print(f"  {len(cores)} core(s) {server.name:<20} {path:<20}"
                              f" {clients:>3} clients: {result.per_second:>7.0f} msg/s",
                              file=sys.stderr, flush=True)
        finally:
            for server in servers:
                server.stop()
    return results


def table(cores: int, results: dict[tuple[str, str, int], Result], args: argparse.Namespace
          ) -> None:
    """Print one core count's table."""
    print(f"\n{cores} core(s), {args.seconds:.0f} s a cell")
    print(f"{'server':<22}{'path':<20}{'clients':>8}{'msg/s':>9}{'p50 ms':>9}{'p99 ms':>9}"
          f"{'CPU ms/msg':>12}{'vs echo':>9}{'errors':>8}")
    for (name, path, clients), result in results.items():
        echo = results.get(("echo", path, clients))
        ratio = result.per_second / echo.per_second if echo else float("nan")
        print(f"{name:<22}{path:<20}{clients:>8}{result.per_second:>9.0f}"
              f"{result.p50_ms:>9.1f}{result.p99_ms:>9.1f}{result.cpu_ms:>12.2f}"
              f"{ratio:>9.2f}{result.errors:>8}")


def numbers(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part]


async def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--cores", type=numbers, default=[1, 2])
    parser.add_argument("--clients", type=numbers, default=[1, 16, 64])
    parser.add_argument("--paths", default="web,telegram")
    parser.add_argument("--modes", default="NORMAL,FULL")
    parser.add_argument("--tree", type=Path, default=ROOT, help="the checkout whose bot runs")
    parser.add_argument("--folder", default=None, help="where the store files go")
    parser.add_argument("--match-workers", type=int, default=1,
                        help="[knowledge_base] match_workers (0 for a tree without it)")
    args = parser.parse_args()
    args.paths = [{"web": "/api/chat", "telegram": TELEGRAM_PATH}[name]
                  for name in args.paths.split(",")]
    args.modes = [mode.upper() for mode in args.modes.split(",")]
    args.tree = args.tree.resolve()
    available = sorted(os.sched_getaffinity(0))
    texts = unique_questions()
    fake = FakeTelegramApi()
    telegram_api = await fake.start()
    print(f"machine: {os.cpu_count()} cores; bot from {args.tree}", flush=True)
    try:
        for count in args.cores:
            # The servers get the last `count` cores; the load generator keeps the first when
            # there is one to spare (with every core given to the server it shares them).
            cores = set(available[-count:])
            if count < len(available):
                os.sched_setaffinity(0, set(available[: len(available) - count]))
            else:
                os.sched_setaffinity(0, set(available))
            results = await run_cores(cores, args, telegram_api, texts)
            table(count, results, args)
    finally:
        os.sched_setaffinity(0, set(available))
        await fake.close()


if __name__ == "__main__":
    asyncio.run(main())
