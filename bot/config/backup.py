"""The `[backup]` settings: where the daily copy of the store goes and how many are kept."""

from __future__ import annotations

from dataclasses import dataclass

from bot.config.reader import TableReader


@dataclass(frozen=True, slots=True)
class BackupSettings:
    """The daily online backup of the store (off while `folder` is empty)."""

    folder: str = ""  # relative to config.toml's folder; "" = no automatic backups
    at: str = "03:30"  # the time of day, in [bot] timezone
    keep: int = 7  # the newest this many backups stay; older ones are deleted

    @property
    def enabled(self) -> bool:
        """Whether daily backups are taken."""
        return bool(self.folder)


def read_backup(table: TableReader) -> BackupSettings:
    """Read `[backup]`."""
    defaults = BackupSettings()
    return BackupSettings(
        folder=table.string("folder", defaults.folder),
        at=table.clock_time("at", defaults.at),
        keep=table.integer("keep", defaults.keep, minimum=1, maximum=3650),
    )
