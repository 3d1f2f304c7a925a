"""Progress of long work on stderr: a line that updates itself on a terminal, a line every
tenth of the way otherwise (a log file must not fill with carriage returns)."""

from __future__ import annotations

import sys
import time
from typing import TextIO

SMALL = 200  # shorter work finishes before a progress line would help
REDRAW_SECONDS = 0.2


class Progress:
    """A `(done, total)` callback that shows `label: done/total (percent)`."""

    def __init__(self, label: str, out: TextIO | None = None) -> None:
        self.label = label
        self.out = out or sys.stderr
        self.terminal = self.out.isatty()
        self._shown = -1.0  # the last tenth (or moment, on a terminal) shown
        self._started = time.monotonic()

    def __call__(self, done: int, total: int) -> None:
        """Note that `done` of `total` steps are done."""
        if total < SMALL:
            return
        line = f"{self.label}: {done}/{total} ({100 * done // total}%)"
        if self.terminal:
            now = time.monotonic()
            if done == total or now - self._shown >= REDRAW_SECONDS:
                self._shown = now
                end = "\n" if done == total else ""
                self.out.write(f"\r{line}{end}")
                self.out.flush()
            return
        tenth = 10 * done // total
        if tenth > self._shown:
            self._shown = tenth
            seconds = time.monotonic() - self._started
            self.out.write(f"{line} after {seconds:.0f} s\n")
            self.out.flush()
