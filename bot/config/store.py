"""The `[store]` settings: where state lives (a SQLite file, or a PostgreSQL database)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from bot.config.reader import TableReader

POSTGRES_SCHEMES = ("postgresql", "postgres")
SYNCHRONOUS = ("NORMAL", "FULL")


@dataclass(frozen=True, slots=True)
class StoreSettings:
    """Where state lives: `path` (SQLite, the default) or `url` (PostgreSQL)."""

    path: str = "data/brandbot.db"
    # How long a statement waits for another writer's lock before the request gets 503.
    busy_timeout_ms: int = 100
    # NORMAL: a commit survives the process being killed; FULL: also a power cut (an fsync
    # per commit, which group commit shares among the messages handled at once). SQLite only.
    synchronous: str = "NORMAL"
    # Concurrent messages' writes committed together (bot/store/database.py). SQLite only:
    # on PostgreSQL each block commits on its own connection (docs/postgresql.md).
    group_commit: bool = True
    url: str = ""  # postgresql://user@host:port/database; empty: the SQLite file at `path`
    password: str = ""  # read from the variable `password_env` names
    # PostgreSQL: connections this process keeps for the event loop (each instance has its own).
    pool_size: int = 8
    # PostgreSQL: how long a transaction waits for the writer lock (other instances writing)
    # before it gives up with "busy"; waiting there never stalls the event loop.
    lock_timeout_ms: int = 5000

    @property
    def is_postgres(self) -> bool:
        """Whether the store is a PostgreSQL database."""
        return bool(self.url)


def url_problem(url: str) -> str | None:
    """What is wrong with a PostgreSQL URL, or None."""
    parts = urlsplit(url)
    if parts.scheme not in POSTGRES_SCHEMES:
        return f"must start with postgresql:// (got {parts.scheme or 'no scheme'!r})"
    if not parts.path.strip("/"):
        return "must name the database (postgresql://user@host/brandbot)"
    if parts.password:
        return "must not hold the password: name its environment variable in password_env"
    return None


def read_store(table: TableReader) -> StoreSettings:
    """Read `[store]`."""
    defaults = StoreSettings()
    url = table.string("url", "")
    if url and (problem := url_problem(url)) is not None:
        table.problem("url", problem)
        url = ""
    password = table.secret("password_env", required=False)
    return StoreSettings(
        path=table.string("path", defaults.path),
        busy_timeout_ms=table.integer("busy_timeout_ms", defaults.busy_timeout_ms, minimum=1),
        synchronous=table.string("synchronous", defaults.synchronous, choices=SYNCHRONOUS),
        group_commit=table.boolean("group_commit", defaults.group_commit),
        url=url,
        password=password,
        pool_size=table.integer("pool_size", defaults.pool_size, minimum=1, maximum=100),
        lock_timeout_ms=table.integer(
            "lock_timeout_ms", defaults.lock_timeout_ms, minimum=10, maximum=600_000
        ),
    )
