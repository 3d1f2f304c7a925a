"""The store owns every table and every SQL statement: open_store(path or URL) -> Store.

A path is a SQLite file (the default); a postgresql:// URL is a database several instances
share (bot/store/postgres/).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from bot.config.store import POSTGRES_SCHEMES, StoreSettings
from bot.store.conversations import Conversations
from bot.store.customers import Customers
from bot.store.database import Database
from bot.store.dead_letters import DeadLetters
from bot.store.deliveries import Deliveries
from bot.store.held import HeldReplies
from bot.store.kb.faqs import KnowledgeBaseStore
from bot.store.kb.feedback import Feedback
from bot.store.kb.review import ReviewQueue
from bot.store.kb.vectors import PhrasingVectors
from bot.store.kv import KeyValues
from bot.store.menus import Menus, PlatformMenus
from bot.store.migrations import ensure_schema
from bot.store.operations import Operations
from bot.store.orders.orders import Orders
from bot.store.outbox import OutboxRows
from bot.store.postgres.database import PostgresDatabase
from bot.store.postgres.schema import ensure_postgres_schema
from bot.store.privacy import Privacy
from bot.store.reports import Reports
from bot.store.rewards.programme import Loyalty
from bot.store.staff.audit_log import AuditLog
from bot.store.staff.broadcasts import Broadcasts
from bot.store.staff.canned import CannedReplies
from bot.store.staff.console import ConsoleAccess
from bot.store.staff.directory import CustomerDirectory
from bot.store.staff.handoffs import Handoffs
from bot.store.staff.records import StaffRecords
from bot.store.state import States
from bot.store.statistics import Statistics
from bot.store.web import WebChatStore


class Store:
    """The bot's state, one object per concern over one connection."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.customers = Customers(db)
        self.conversations = Conversations(db)
        self.states = States(db)
        self.deliveries = Deliveries(db)
        self.dead_letters = DeadLetters(db)
        self.outbox = OutboxRows(db)
        self.held = HeldReplies(db)
        self.kb = KnowledgeBaseStore(db)
        self.kb_review = ReviewQueue(db, self.kb)
        self.feedback = Feedback(db)
        self.vectors = PhrasingVectors(db)
        self.kv = KeyValues(db)
        self.menus = Menus(self.kv)
        self.platform_menus = PlatformMenus(self.kv)
        self.orders = Orders(db)
        self.loyalty = Loyalty(db)
        self.staff = StaffRecords(db)
        self.handoffs = Handoffs(db)
        self.broadcasts = Broadcasts(db)
        self.reports = Reports(db)
        self.web = WebChatStore(db)
        self.statistics = Statistics(db)
        self.console = ConsoleAccess(db)
        self.audit_log = AuditLog(db)
        self.directory = CustomerDirectory(db)
        self.canned = CannedReplies(db)
        self.operations = Operations(db)
        self.privacy = Privacy(db, self.loyalty)
        self.schema_version = 0

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All or nothing across concerns (nested calls become savepoints)."""
        with self.db.transaction():
            yield

    async def committed(self) -> None:
        """Return once every write so far is durable (group commit: Database's docstring)."""
        await self.db.committed()

    def is_reachable(self) -> bool:
        """Whether the database answers (for /healthz)."""
        try:
            return bool(self.db.scalar("SELECT 1") == 1)
        except Exception:  # any database failure means "not reachable" here
            return False

    def close(self) -> None:
        """Close the connection."""
        self.db.close()


def is_store_url(location: str | Path) -> bool:
    """Whether a store location is a PostgreSQL URL (else it is a SQLite file's path)."""
    return str(location).split("://", 1)[0] in POSTGRES_SCHEMES and "://" in str(location)


def open_store(
    path: str | Path, *, synchronous: str = "NORMAL", busy_timeout_ms: int = 5000,
    group_commit: bool = False, password: str = "", pool_size: int = 8,
    lock_timeout_ms: int = 5000,
) -> Store:
    """Open (or create) the store at `path` (or PostgreSQL URL) and bring its schema up to
    date.

    The default busy timeout suits the command line; the server passes its short one and
    groups the commits of concurrent messages (bot/store/database.py).
    """
    if is_store_url(path):
        postgres = PostgresDatabase(
            str(path), password=password, pool_size=pool_size,
            lock_timeout_ms=lock_timeout_ms, busy_timeout_ms=busy_timeout_ms,
        )
        store = Store(postgres)
        store.schema_version = ensure_postgres_schema(postgres)
        return store
    db = Database(path, synchronous=synchronous, busy_timeout_ms=busy_timeout_ms)
    store = Store(db)
    store.schema_version = ensure_schema(db)
    db.group_commit = group_commit  # after the migrations, which run their own transactions
    return store


def open_configured(
    settings: StoreSettings, resolve: Callable[[str], Path], *, busy_timeout_ms: int = 5000
) -> Store:
    """The store `[store]` names: its PostgreSQL `url`, else the SQLite file at `path`
    (with its durability and group commit settings)."""
    if settings.is_postgres:
        return open_store(
            settings.url, password=settings.password, pool_size=settings.pool_size,
            lock_timeout_ms=settings.lock_timeout_ms, busy_timeout_ms=busy_timeout_ms,
        )
    return open_store(
        resolve(settings.path), busy_timeout_ms=busy_timeout_ms,
        synchronous=settings.synchronous, group_commit=settings.group_commit,
    )
