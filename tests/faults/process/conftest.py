"""A child `brandbot serve` per test, the platform fakes it sends to, and a client session."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.helpers.child_server import ServerProcess, merged
from tests.helpers.platforms import ENV, FakePlatforms


@pytest.fixture
async def fakes() -> AsyncIterator[FakePlatforms]:
    platforms = FakePlatforms()
    await platforms.start()
    yield platforms
    await platforms.close()


@pytest.fixture
def serve(tmp_path: Path, fakes: FakePlatforms) -> Iterator[Callable[..., ServerProcess]]:
    """Make a server for the fakes (not started); every one is killed at teardown."""
    made: list[ServerProcess] = []

    def make(wechat: dict[str, Any] | None = None, **tables: Any) -> ServerProcess:
        settings = merged({"platforms": fakes.tables(wechat)}, tables)
        server = ServerProcess(tmp_path / f"server-{len(made)}", settings, ENV)
        made.append(server)
        return server

    yield make
    for server in made:
        server.stop_now()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client

