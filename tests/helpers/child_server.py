"""`brandbot serve` as a child process on a config.toml of its own: started, killed, restarted.

The process suite and the soak benchmark use it to do to the server what an operator's
machine does: SIGKILL (a crash, the OOM killer), SIGTERM (a deploy), and a restart on the
same store file.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import tomli_w

from tests.helpers.paths import KNOWLEDGE_BASE, ROOT

# Short outbox delays so that retries, leases and outages fit in seconds, not hours.
QUICK_OUTBOX = {
    "base_delay_seconds": 0.05, "max_delay_seconds": 0.5, "timeout_seconds": 1.0,
    "poll_interval_seconds": 0.05, "lease_seconds": 2.0,
}
# All the load comes from 127.0.0.1: the per-address limits would count every customer as one.
OPEN_DOOR = {
    "messages_per_minute": 600, "message_burst": 100, "address_messages_per_minute": 1_000_000,
    "sessions_per_minute": 100_000, "session_burst": 100_000,
}


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def until(
    condition: Callable[[], bool | Awaitable[bool]], timeout: float, what: str
) -> float:
    """Poll `condition` until true; the seconds it took (AssertionError after `timeout`)."""
    started = time.monotonic()
    while True:
        outcome = condition()
        if inspect.isawaitable(outcome):
            outcome = await outcome
        if outcome:
            return time.monotonic() - started
        if time.monotonic() - started > timeout:
            raise AssertionError(f"not within {timeout:.0f} s: {what}")
        await asyncio.sleep(0.1)


def merged(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """`base` with `extra` laid over it, table by table."""
    result = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = merged(result[key], value)
        else:
            result[key] = value
    return result


class ServerProcess:
    """One `python -m bot serve` child on 127.0.0.1, its store and log in `folder`."""

    def __init__(
        self, folder: Path, tables: dict[str, Any], env: dict[str, str] | None = None
    ) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.db = folder / "brandbot.db"
        self.config = folder / "config.toml"
        self.log = folder / "server.log"
        settings = merged({
            "server": {"host": "127.0.0.1", "port": self.port},
            "store": {"path": str(self.db)},
            "knowledge_base": {"path": str(KNOWLEDGE_BASE)},
            "orders": {"samples": str(ROOT / "samples" / "orders.csv")},
            "outbox": QUICK_OUTBOX,
            "web": OPEN_DOOR,
        }, tables)
        self.config.write_text(tomli_w.dumps(settings), encoding="utf-8")
        inherited = {key: value for key, value in os.environ.items()
                     if not key.startswith("BRANDBOT_")}
        self.env = {**inherited, "PYTHONUNBUFFERED": "1", **(env or {})}
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @property
    def pid(self) -> int:
        """The running child's process id."""
        assert self.process is not None, "not started"
        return self.process.pid

    async def start(self, timeout: float = 30.0) -> None:
        """Start the child and wait until /healthz answers 200 (the bot has started)."""
        assert self.process is None or self.process.poll() is not None, "already running"
        self.starts += 1
        with self.log.open("ab") as log:
            log.write(f"--- start {self.starts}\n".encode())
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bot", "serve", "--config", str(self.config)],
                cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        async with aiohttp.ClientSession() as session:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise RuntimeError(f"brandbot serve exited: {self.tail()}")
                try:
                    async with session.get(self.url + "/healthz") as response:
                        if response.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.05)
        raise RuntimeError(f"brandbot serve did not become ready: {self.tail()}")

    async def kill(self) -> None:
        """SIGKILL: the process dies where it stands, nothing is cleaned up."""
        await self._signal(signal.SIGKILL, 10.0)

    async def terminate(self, timeout: float = 30.0) -> int:
        """SIGTERM and wait for the clean stop; the exit code."""
        return await self._signal(signal.SIGTERM, timeout)

    async def _signal(self, which: signal.Signals, timeout: float) -> int:
        process = self.process
        if process is None or process.poll() is not None:
            return process.returncode if process is not None else 0
        process.send_signal(which)
        deadline = time.monotonic() + timeout
        while process.poll() is None:
            if time.monotonic() > deadline:
                process.kill()
                process.wait()
                raise RuntimeError(f"brandbot serve ignored {which.name}: {self.tail()}")
            await asyncio.sleep(0.02)
        return process.returncode

    def stop_now(self) -> None:
        """Teardown: never leave a child behind, whatever the test did."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    async def command(self, *words: str) -> tuple[int, str]:
        """Run another `brandbot` command on this server's config: exit code and output.

        Awaited, not run: the fakes answering the server live on this process's event loop.
        """
        child = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", *words, "--config", str(self.config),
            cwd=ROOT, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        )
        output, _ = await asyncio.wait_for(child.communicate(), 60)
        return await child.wait(), output.decode("utf-8", "replace")

    def tail(self, lines: int = 40) -> str:
        """The end of the server's log, for failure messages."""
        try:
            text = self.log.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def rss_bytes(self) -> int:
        """The child's resident memory (Linux /proc), 0 when it is not running."""
        try:
            status = Path(f"/proc/{self.pid}/status").read_text()
        except (OSError, AssertionError):
            return 0
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        return 0

    def wal_bytes(self) -> int:
        """The size of the store's WAL file now."""
        try:
            return os.path.getsize(str(self.db) + "-wal")
        except OSError:
            return 0
