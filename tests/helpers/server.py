"""`brandbot serve` as a real process on an OS-chosen port, for tests about the server process:
its config written as a TOML file, its stderr (the log) kept in a file."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from tests.helpers.paths import KNOWLEDGE_BASE, ROOT


def toml_value(value: Any) -> str:
    """A TOML value (JSON's strings, numbers and lists are TOML's too)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value, ensure_ascii=False)


def write_config(folder: Path, **tables: dict[str, Any]) -> Path:
    """A config.toml for the sample brand with its store in `folder`; tables override."""
    data: dict[str, dict[str, Any]] = {
        "store": {"path": str(folder / "brandbot.db")},
        "knowledge_base": {"path": str(KNOWLEDGE_BASE)},
        "orders": {"samples": str(ROOT / "samples" / "orders.csv")},
        "outbox": {"base_delay_seconds": 0.05, "max_delay_seconds": 0.5,
                   "poll_interval_seconds": 0.05},
    }
    for name, table in tables.items():
        data[name.replace("__", ".")] = {**data.get(name, {}), **table}
    lines = []
    for name, table in data.items():
        lines.append(f"[{name}]")
        lines += [f"{key} = {toml_value(value)}" for key, value in table.items()]
    path = folder / "config.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def environment(**variables: str) -> dict[str, str]:
    """This process's environment without brandbot's overrides, plus `variables`."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("BRANDBOT_")}
    return {**env, **variables}


@dataclass
class Server:
    """A running `brandbot serve`."""

    process: subprocess.Popen[str]
    url: str
    log: Path

    def logs(self) -> str:
        """Everything it wrote to stderr so far."""
        return self.log.read_text(encoding="utf-8")

    async def stop(self) -> int:
        """SIGTERM, as an init system stops it; its exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        code = await asyncio.to_thread(self.process.wait, 30)
        if self.process.stdout is not None:
            self.process.stdout.close()
        return code


async def start_server(
    config: Path, env: dict[str, str] | None = None, *options: str
) -> Server:
    """Start `brandbot [options] serve` on port 0; returns once /healthz answers."""
    log = config.with_name("server.log")
    with log.open("w", encoding="utf-8") as errors:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", *options, "serve", "--config", str(config),
             "--port", "0"],
            stdout=subprocess.PIPE, stderr=errors, text=True, env=env or environment(),
        )
    assert process.stdout is not None
    banner = await asyncio.to_thread(process.stdout.readline)
    found = re.search(r"http://([\d.]+):(\d+)/", banner)
    if found is None:
        process.wait(30)
        process.stdout.close()
        raise AssertionError(f"no banner: {banner!r}\n{log.read_text(encoding='utf-8')}")
    server = Server(process, f"http://{found.group(1)}:{found.group(2)}", log)
    deadline = time.monotonic() + 60
    async with aiohttp.ClientSession() as session:
        while True:
            try:
                async with session.get(server.url + "/healthz") as response:
                    if response.status == 200:
                        return server
            except aiohttp.ClientError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                await server.stop()
                raise AssertionError(f"the server did not start:\n{server.logs()}")
            await asyncio.sleep(0.05)
