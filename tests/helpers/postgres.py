"""A real PostgreSQL server for the suite: Debian's binaries, a cluster in a temporary folder,
started as an unprivileged user (PostgreSQL refuses to run as root), one fresh database a test.

Each test's database is a copy of a template that is migrated once, so a test pays for a
CREATE DATABASE, not for the migrations.
"""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

import psycopg

from bot.store import open_store

TEMPLATE = "brandbot_template"
USER = "brandbot"
UNPRIVILEGED = ("nobody", "nogroup")
OWNER = "owner.pid"  # the test process a cluster belongs to


def binaries() -> Path | None:
    """The folder of Debian's PostgreSQL server binaries (the newest version), if installed."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                   key=lambda path: int(path.parts[-3]) if path.parts[-3].isdigit() else 0)
    return found[-1].parent if found else None


def free_port() -> int:
    """A loopback port nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Cluster:
    """One PostgreSQL server on 127.0.0.1 in a folder of its own, for the suite's run."""

    def __init__(self, bin_dir: Path, *, durable: bool = False) -> None:
        self.bin_dir = bin_dir
        self.durable = durable  # fsync and synchronous commits on, as a real server has them
        self.folder = Path(tempfile.mkdtemp(prefix="brandbot-pg-"))
        self.data = self.folder / "data"
        self.port = free_port()
        self._numbers = itertools.count(1)
        self.started = False

    def _as_owner(self, command: Sequence[str]) -> list[str]:
        """The command run as the cluster's unprivileged owner when we are root."""
        if os.geteuid() != 0:
            return list(command)
        user, group = UNPRIVILEGED
        return ["setpriv", f"--reuid={user}", f"--regid={group}", "--clear-groups", *command]

    def start(self) -> None:
        """initdb and pg_ctl start; raises RuntimeError saying why it could not."""
        if os.geteuid() == 0:
            shutil.chown(self.folder, *UNPRIVILEGED)
        environment = {**os.environ, "HOME": str(self.folder), "LC_ALL": "C.UTF-8"}
        initdb = self._as_owner([
            str(self.bin_dir / "initdb"), "-D", str(self.data), "-U", USER, "--auth=trust",
            "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync",
        ])
        done = subprocess.run(initdb, capture_output=True, text=True, env=environment,
                              cwd=self.folder, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"initdb failed: {done.stderr.strip()[-300:]}")
        # Durability is not under test in the suite: fsync off keeps it fast.
        options = (f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1"
                   " -c max_connections=300 -c shared_buffers=64MB")
        if not self.durable:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        pg_ctl = self._as_owner([
            str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-l", str(self.folder / "log"),
            "-o", options, "-w", "-t", "60", "start",
        ])
        done = subprocess.run(pg_ctl, capture_output=True, text=True, env=environment,
                              cwd=self.folder, check=False)
        if done.returncode != 0:
            log = (self.folder / "log").read_text() if (self.folder / "log").exists() else ""
            raise RuntimeError(f"pg_ctl start failed: {(done.stderr + log).strip()[-300:]}")
        self.started = True
        (self.folder / OWNER).write_text(str(os.getpid()))
        self.create(TEMPLATE)
        store = open_store(self.url(TEMPLATE))
        store.close()

    def url(self, database: str) -> str:
        """The URL of one database of the cluster."""
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{database}"

    def admin(self, sql: str) -> None:
        """Run one statement on the maintenance database."""
        with psycopg.connect(self.url("postgres"), autocommit=True) as connection:
            connection.execute(sql)  # type: ignore[arg-type]

    def create(self, name: str, *, template: str = "template0") -> str:
        """A new database (from a template); its URL."""
        self.admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return self.url(name)

    def fresh(self) -> str:
        """A new database holding the migrated, empty schema; its URL."""
        return self.create(f"test_{os.getpid()}_{next(self._numbers)}", template=TEMPLATE)

    def stop(self) -> None:
        """Stop the server (immediately) and delete its folder."""
        if self.started:
            subprocess.run(
                self._as_owner([str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-m",
                                "immediate", "-w", "stop"]),
                capture_output=True, check=False, cwd=self.folder,
            )
            self.started = False
        shutil.rmtree(self.folder, ignore_errors=True)


def sweep(bin_dir: Path) -> None:
    """Stop and delete the clusters of earlier runs whose test process is gone (killed
    before its teardown): a server started for a test must not outlive the run."""
    for folder in Path(tempfile.gettempdir()).glob("brandbot-pg-*"):
        try:
            owner = int((folder / OWNER).read_text())
        except (OSError, ValueError):
            continue  # starting right now, or not ours
        if Path(f"/proc/{owner}").exists():
            continue
        stale = Cluster(bin_dir)
        shutil.rmtree(stale.folder, ignore_errors=True)
        stale.folder, stale.data, stale.started = folder, folder / "data", True
        stale.stop()


def start_cluster() -> tuple[Cluster | None, str]:
    """A started cluster, or None and the reason PostgreSQL cannot run here."""
    bin_dir = binaries()
    if bin_dir is None:
        return None, ("PostgreSQL is not installed (make test installs Debian's postgresql"
                      " as root: apt-get install postgresql)")
    if os.geteuid() == 0 and shutil.which("setpriv") is None:
        return None, "running as root without setpriv: cannot start PostgreSQL unprivileged"
    sweep(bin_dir)
    cluster = Cluster(bin_dir)
    try:
        cluster.start()
    except (RuntimeError, OSError, psycopg.Error) as error:
        cluster.stop()
        return None, f"PostgreSQL could not be started: {error}"
    return cluster, ""
