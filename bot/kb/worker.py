"""FAQ matching in a process of its own: the second core reads each message's question while
the event loop records, routes and answers the others (one SQLite writer stays in one place).

The worker holds its own copy of the lexical index, sent whole whenever the KB's version
changes, and answers `(number, Reading)` for each `(number, version, faqs, text)` it gets, in
order. The event loop reads the answers when the pipe is readable (no thread). A worker that
dies leaves matching to the event loop, which is slower but answers the same.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import multiprocessing
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection

from bot.config.knowledge_base import KnowledgeBaseSettings
from bot.core.faq import Candidate, Faq, Reading

log = logging.getLogger(__name__)

# What the worker gets: (number, version, the FAQs to load or None, the text to read).
Request = tuple[int, int, Sequence[Faq] | None, str]
# The worker process's loop (bot/kb/index.py `serve`): answers (number, `packed` Reading).
Serve = Callable[[Connection, KnowledgeBaseSettings], None]
# A Reading as plain tuples: frozen slotted dataclasses pickle through Python code
# (dataclasses' __getstate__/__setstate__), which cost more than the reading on both sides.
Packed = tuple[
    str, str, tuple[tuple[str, float, str, dict[str, float]], ...], str, str | None,
    tuple[str, ...], str | None,
]


def pack(reading: Reading | None) -> Packed | None:
    """A reading as the pipe carries it."""
    if reading is None:
        return None
    return (
        reading.text, reading.question,
        tuple((c.faq_id, c.score, c.phrasing, c.components) for c in reading.candidates),
        reading.outcome, reading.small_talk, reading.moves, reading.anywhere,
    )


def unpack(packed: Packed | None) -> Reading | None:
    """The reading `pack` made."""
    if packed is None:
        return None
    text, question, candidates, outcome, small_talk, moves, anywhere = packed
    return Reading(
        text, question, tuple(Candidate(*candidate) for candidate in candidates), outcome,
        small_talk, moves, anywhere,
    )


class MatchWorker:
    """The event loop's side of the worker process."""

    def __init__(self, serve: Serve, settings: KnowledgeBaseSettings) -> None:
        context = multiprocessing.get_context("spawn")  # no copy of the parent's loop or locks
        self._connection, child = context.Pipe()
        self._process = context.Process(
            target=serve, args=(child, settings), name="brandbot-matching", daemon=True
        )
        self._process.start()
        child.close()
        self._numbers = itertools.count()
        self._waiting: dict[int, asyncio.Future[Reading | None]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self.alive = True

    def read(
        self, version: int, faqs: Sequence[Faq] | None, text: str
    ) -> asyncio.Future[Reading | None]:
        """The worker's reading of `text` (after loading `faqs` when given); None if it died."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Reading | None] = loop.create_future()
        if not self.alive:
            future.set_result(None)
            return future
        if self._loop is None:
            self._loop = loop
            loop.add_reader(self._connection.fileno(), self._receive)
        number = next(self._numbers)
        self._waiting[number] = future
        try:
            self._connection.send((number, version, faqs, text))
        except (OSError, ValueError) as error:
            self._broken(f"sending failed: {error}")
        return future

    def _receive(self) -> None:
        try:
            while self._connection.poll():
                number, packed = self._connection.recv()
                future = self._waiting.pop(number, None)
                if future is not None and not future.done():
                    future.set_result(unpack(packed))
        except (EOFError, OSError) as error:
            self._broken(f"{type(error).__name__}")

    def _broken(self, why: str) -> None:
        """The worker is gone: everyone waiting matches on the event loop instead."""
        if not self.alive:
            return
        self.alive = False
        log.error("the matching worker stopped (%s): matching on the event loop from now on",
                  why)
        if self._loop is not None:
            self._loop.remove_reader(self._connection.fileno())
        for future in self._waiting.values():
            if not future.done():
                future.set_result(None)
        self._waiting.clear()

    def close(self) -> None:
        """Stop the worker process."""
        if self.alive:
            self.alive = False
            if self._loop is not None and not self._loop.is_closed():
                self._loop.remove_reader(self._connection.fileno())
            with contextlib.suppress(OSError, ValueError):
                self._connection.send(None)  # the worker may be gone already
        self._process.join(timeout=2)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(timeout=2)
        self._connection.close()
