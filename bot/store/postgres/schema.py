"""The schema on PostgreSQL: the same migrations as on SQLite, in one transaction, once.

Each migration's SQL is translated statement by statement (dialect.py); the functions SQLite
has and PostgreSQL lacks are created first (functions.py). Instances starting together wait
for each other on the migration lock instead of racing.
"""

from __future__ import annotations

import logging

from bot.core.clock import iso
from bot.store import migrations
from bot.store.postgres.database import PostgresDatabase, lock_key
from bot.store.postgres.functions import FUNCTIONS

log = logging.getLogger(__name__)

MIGRATION_LOCK = lock_key("brandbot:migrations")


def ensure_postgres_schema(db: PostgresDatabase) -> int:
    """Apply every migration not yet applied; return how many are applied in all."""
    with db.transaction():
        db.execute("SELECT pg_advisory_xact_lock(?)", [MIGRATION_LOCK])
        db.executescript(FUNCTIONS)
        db.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (id TEXT PRIMARY KEY, applied_at TEXT)"
        )
        applied = {row["id"] for row in db.query("SELECT id FROM schema_migrations")}
        for name, migrate in migrations.MIGRATIONS:
            if name in applied:
                continue
            migrate(db)
            db.execute(
                "INSERT INTO schema_migrations (id, applied_at) VALUES (?, ?)", [name, iso()]
            )
            log.info("applied migration %s", name)
        count = int(db.scalar("SELECT count(*) FROM schema_migrations"))
    db.learn_schema()
    return count
