"""The container: the image builds and its healthcheck passes where a Docker engine runs
(skipped with the reason elsewhere); everywhere, its healthcheck command is run against a
real server, and the Dockerfile's promises (non-root, data volume) are read from it."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

from tests.helpers.paths import ROOT
from tests.helpers.server import environment, start_server, write_config

DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")


def instructions(name: str) -> list[str]:
    """The arguments of every `NAME …` instruction (continuation lines joined)."""
    text = DOCKERFILE.replace("\\\n", " ")
    return [line.split(None, 1)[1].strip() for line in text.splitlines()
            if line.upper().startswith(name + " ")]


def healthcheck() -> list[str]:
    """The exec-form command of HEALTHCHECK."""
    [line] = instructions("HEALTHCHECK")
    return list(json.loads(line.split("CMD", 1)[1]))


def docker_missing() -> str | None:
    """Why Docker cannot build here, or None when an engine answers."""
    if shutil.which("docker") is None:
        return "no docker command on this machine"
    probe = subprocess.run(["docker", "info", "--format", "{{.ServerVersion}}"],
                           capture_output=True, text=True, timeout=30, check=False)
    if probe.returncode != 0:
        reason = (probe.stderr.strip().splitlines() or ["docker info failed"])[-1]
        return f"no Docker engine answers here ({reason})"
    return None


def docker(*args: str, timeout: float = 60) -> str:
    result = subprocess.run(["docker", *args], capture_output=True, text=True,
                            timeout=timeout, check=False)
    assert result.returncode == 0, f"docker {' '.join(args)}: {result.stderr}"
    return result.stdout.strip()


def test_the_image_runs_as_its_own_user_with_a_data_volume() -> None:
    [user] = instructions("USER")
    assert user not in ("root", "0")
    assert instructions("VOLUME") == ['["/data"]']
    assert "BRANDBOT_DB=/data/brandbot.db" in DOCKERFILE
    assert instructions("EXPOSE") == ["8080"]
    assert json.loads(instructions("CMD")[-1]) == ["brandbot", "serve", "--host", "0.0.0.0"]
    compose = (ROOT / "compose.yaml").read_text(encoding="utf-8")
    assert "brandbot-data:/data" in compose and "service_healthy" in compose


async def test_the_healthcheck_command_passes_against_a_running_server(tmp_path: Path) -> None:
    command = healthcheck()
    assert command[0] == "python"
    server = await start_server(write_config(tmp_path))
    port = server.url.rsplit(":", 1)[1]
    env = {**environment(), "BRANDBOT_PORT": port}
    try:
        passed = subprocess.run([sys.executable, *command[1:]], env=env, timeout=30,
                                capture_output=True, check=False)
        assert passed.returncode == 0, passed.stderr
    finally:
        assert await server.stop() == 0
    failed = subprocess.run([sys.executable, *command[1:]], env=env, timeout=30,
                            capture_output=True, check=False)
    assert failed.returncode != 0  # nothing answers: unhealthy


def test_the_docker_image_builds_and_its_healthcheck_passes() -> None:
    reason = docker_missing()
    if reason is not None:
        pytest.skip(reason)
    tag = f"brandbot-test:{uuid.uuid4().hex[:8]}"
    docker("build", "-t", tag, str(ROOT), timeout=1200)
    container = ""
    try:
        container = docker("run", "-d", "--health-interval=2s", "--health-start-period=30s",
                           "-p", "127.0.0.1::8080", tag)
        deadline = time.monotonic() + 120
        status = ""
        while time.monotonic() < deadline:
            status = docker("inspect", "--format", "{{.State.Health.Status}}", container)
            if status in ("healthy", "unhealthy"):
                break
            time.sleep(1)
        assert status == "healthy", docker("logs", container)
        assert docker("exec", container, "id", "-u") != "0"
        address = docker("port", container, "8080/tcp").splitlines()[0]
        port = re.search(r":(\d+)$", address)
        assert port is not None
        with urllib.request.urlopen(f"http://127.0.0.1:{port.group(1)}/readyz", timeout=10) as r:
            assert json.load(r)["status"] == "ready"
        assert "brandbot.db" in docker("exec", container, "ls", "/data").split()
    finally:
        if container:
            subprocess.run(["docker", "rm", "-f", container], capture_output=True,
                           timeout=60, check=False)
        subprocess.run(["docker", "rmi", "-f", tag], capture_output=True, timeout=120,
                       check=False)
