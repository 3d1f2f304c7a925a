"""Keeps the WAL file small: checkpoints it into the database and truncates it every minute.

SQLite checkpoints on its own only up to the oldest reader's snapshot, and never shrinks the
file: after one long reader the WAL would stay gigabytes large. The checkpoint runs in a
worker thread on a connection of its own, so waiting for readers never stalls the event loop.
"""

from __future__ import annotations

import asyncio
import logging
import os

from bot.core.service import Service
from bot.store.database import checkpoint

log = logging.getLogger(__name__)

CHECK_SECONDS = 60.0
LOUD_BYTES = 256 * 1024 * 1024  # a WAL this large is worth a line in the log


class WalCheckpoints(Service):
    """Checkpoints and truncates the store's WAL file in the background."""

    def __init__(self, path: str, every: float = CHECK_SECONDS) -> None:
        super().__init__("wal-checkpoints", every, first_round_after=every)
        self.path = path

    @property
    def active(self) -> bool:
        """Only a store in a file has a WAL file."""
        return self.path != ":memory:"

    def wal_bytes(self) -> int:
        """The WAL file's size now."""
        try:
            return os.path.getsize(self.path + "-wal")
        except OSError:
            return 0

    async def round(self) -> float | None:
        """One checkpoint (it waits for readers at most a second)."""
        before = self.wal_bytes()
        busy, pages, done = await asyncio.to_thread(checkpoint, self.path)
        if before >= LOUD_BYTES or busy:
            log.info("WAL checkpoint: %d bytes before, %d of %d pages copied%s", before, done,
                     pages, " (a reader kept it from finishing)" if busy else "")
        return None
