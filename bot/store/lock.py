"""Who holds a store file: running servers share a lock on `<store>.lock`, a restore takes it
alone, so a restore never replaces a store under a running server (nor a server starts on a
store being restored).

The lock is the kernel's (flock): it ends with the process, however it ends.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from types import TracebackType

from bot.core.errors import StoreInUse


def lock_path(store: Path) -> Path:
    """The lock file beside a store file."""
    return store.with_name(store.name + ".lock")


class StoreLock:
    """A shared (serving) or exclusive (restoring) hold on a store file."""

    def __init__(self, store: Path, *, exclusive: bool = False) -> None:
        self.store = store
        self.exclusive = exclusive
        self.fd: int | None = None

    def acquire(self) -> StoreLock:
        """Take the lock now or raise StoreInUse saying who has it."""
        path = lock_path(self.store)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, (fcntl.LOCK_EX if self.exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            if self.exclusive:
                raise StoreInUse(
                    f"{self.store} is in use by a running brandbot serve (or shell): stop it first"
                ) from None
            raise StoreInUse(
                f"{self.store} is being restored: start again when that is done"
            ) from None
        self.fd = fd
        return self

    def release(self) -> None:
        """Let go (closing the file ends the lock)."""
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def __enter__(self) -> StoreLock:
        return self.acquire()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.release()
