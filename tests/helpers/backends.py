"""Both store backends, for the folders whose tests run on each (store, runtime)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest

from bot.store import Store
from bot.store.database import Database
from bot.store.postgres.database import WRITER_LOCK, PostgresDatabase

BACKENDS = ["sqlite", pytest.param("postgresql", id="postgresql")]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """SQLite, then PostgreSQL."""
    return str(request.param)


def store_environment(store: Store) -> dict[str, str]:
    """The environment variable pointing a `brandbot` command at this store."""
    if isinstance(store.db, PostgresDatabase):
        return {"BRANDBOT_STORE_URL": store.db.url}
    return {"BRANDBOT_DB": store.db.path}


@contextmanager
def writer_lock_held(store: Store) -> Iterator[None]:
    """Another connection holds the store's writer lock; `store` gives up on it at once."""
    if isinstance(store.db, PostgresDatabase):
        other = psycopg.connect(store.db.url, autocommit=True)
        other.execute("BEGIN")
        other.execute("SELECT pg_advisory_xact_lock(%s)", [WRITER_LOCK])
        waited, store.db.lock_timeout_ms = store.db.lock_timeout_ms, 20
        try:
            yield
        finally:
            store.db.lock_timeout_ms = waited
            other.execute("ROLLBACK")
            other.close()
        return
    holder = Database(store.db.path)
    holder.execute("PRAGMA busy_timeout = 0")
    store.db.execute("PRAGMA busy_timeout = 0")
    holder.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        holder.execute("ROLLBACK")
        holder.close()
