"""The daily backup: an online copy of the store at the configured time (or at start when the
newest copy is older than that time's last occurrence), then the oldest beyond `keep` deleted.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.config.backup import BackupSettings
from bot.core.clock import Clock
from bot.core.errors import StoreFileError
from bot.core.service import Service
from bot.runtime.metrics import Metrics
from bot.store.backup import STAMP, backup_name, backup_store, dated_backups, prune_backups

log = logging.getLogger(__name__)

RETRY_SECONDS = 3600.0  # after a failed backup


def last_scheduled(now: datetime, at: str, zone: ZoneInfo) -> datetime:
    """The latest moment at or before `now` when the daily time `at` (HH:MM) came round."""
    hours, minutes = (int(part) for part in at.split(":"))
    local = now.astimezone(zone)
    moment = datetime.combine(local.date(), datetime.min.time(), zone) + timedelta(
        hours=hours, minutes=minutes
    )
    while moment > local:
        moment -= timedelta(days=1)
    return moment.astimezone(UTC)


class DailyBackups(Service):
    """Takes the daily backup in a worker thread (its own connection), keeps the newest few."""

    def __init__(
        self, settings: BackupSettings, store_path: Path, folder: Path, zone: ZoneInfo,
        clock: Clock, metrics: Metrics,
    ) -> None:
        super().__init__("backups", RETRY_SECONDS)
        self.settings = settings
        self.store_path = store_path
        self.folder = folder
        self.zone = zone
        self.clock = clock
        self.metrics = metrics

    @property
    def active(self) -> bool:
        """Only with a backup folder configured."""
        return self.settings.enabled

    def newest(self) -> datetime | None:
        """When the newest dated backup in the folder was taken."""
        backups = dated_backups(self.folder, self.store_path)
        if not backups:
            return None
        stamp = backups[-1].stem.removeprefix(self.store_path.stem + "-")
        return datetime.strptime(stamp, STAMP).replace(tzinfo=UTC)

    async def round(self) -> float | None:
        """Back up if today's time has passed since the newest copy; wait for the next time."""
        now = self.clock.now()
        due = last_scheduled(now, self.settings.at, self.zone)
        newest = self.newest()
        if newest is None or newest < due:
            try:
                await self.take(now)
            except (StoreFileError, OSError) as error:
                log.error("daily backup failed: %s (trying again in an hour)", error)
                return RETRY_SECONDS
        upcoming = due + timedelta(days=1)
        return max((upcoming - self.clock.now()).total_seconds(), 1.0)

    async def take(self, now: datetime) -> Path:
        """One backup into the folder now, then the rotation."""
        self.folder.mkdir(parents=True, exist_ok=True)
        target = self.folder / backup_name(self.store_path, now)
        found, seconds = await asyncio.to_thread(backup_store, self.store_path, target)
        deleted = prune_backups(self.folder, self.store_path, self.settings.keep)
        self.metrics.backed_up(now.timestamp())
        log.info("backup %s: %d bytes in %.2f s (%d customers), %d old ones deleted",
                 target, found.size, seconds, found.customers, len(deleted))
        return target
