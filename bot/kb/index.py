"""The live FAQ index: the store's FAQs in a matcher, refreshed whenever the store changes."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from bot.config.knowledge_base import KnowledgeBaseSettings
from bot.core.faq import Candidate, Faq
from bot.core.language import to_simplified
from bot.core.normalize import normalize
from bot.matching import FaqDocument, Matcher
from bot.matching.semantic import SemanticMatcher
from bot.store.kb.faqs import KnowledgeBaseStore

log = logging.getLogger(__name__)


ANSWER, SUGGEST, FALLBACK = "answer", "did you mean", "fallback"
# `prepare` ranks this many candidates, enough for any route's search (admin `kb test` shows 5).
PREPARED_LIMIT = 10
# Prepared questions kept: the messages being handled at once, with room to spare.
PREPARED_TEXTS = 256
MAX_QUERY_CHARS = 500


def outcome_of(candidates: Sequence[Candidate], settings: KnowledgeBaseSettings) -> str:
    """What the bot does with ranked candidates: answer, ask "did you mean", or fall back."""
    if not candidates or candidates[0].score < settings.suggest_threshold:
        return FALLBACK
    runner_up = candidates[1].score if len(candidates) > 1 else 0.0
    # A close runner-up means the question is ambiguous: offering both beats a wrong answer.
    if (
        candidates[0].score >= settings.answer_threshold
        and candidates[0].score - runner_up >= settings.answer_margin
    ):
        return ANSWER
    return SUGGEST


def document_of(faq: Faq) -> FaqDocument:
    """What the matcher needs to know of an FAQ."""
    return FaqDocument(
        faq_id=faq.id,
        phrasings=faq.phrasings(),
        keywords=faq.keywords,
        negatives=faq.negatives,
    )


class FaqIndex:
    """FAQs by id plus a matcher over them; edits in any process show up on the next query.

    With `semantic`, embedding runs in one worker thread: `prepare(text)`, awaited by the
    pipeline before routing, brings the index up to date and searches there, and the routes'
    synchronous `search` of that text returns the prepared result for as long as the index
    stays as it was. The store is read on the caller's thread only (its connection belongs to
    the event loop).
    """

    def __init__(self, kb: KnowledgeBaseStore, *, semantic: bool = False) -> None:
        self.kb = kb
        self.faqs: dict[str, Faq] = {}
        self.matcher: Matcher | SemanticMatcher
        self._worker: ThreadPoolExecutor | None = None
        if semantic:
            self.matcher = SemanticMatcher()
            # One thread: an embedding already uses every core, and edits apply in order.
            self._worker = ThreadPoolExecutor(1, thread_name_prefix="faq-semantic")
        else:
            self.matcher = Matcher()
        self._negated: dict[str, set[str]] = {}  # normalised negative → ids of its FAQs
        self._version = -1
        self._sent_version = -1  # the newest version handed to the worker
        # Held while the matcher changes or searches (the worker and the caller's thread).
        self._lock = threading.Lock()
        # The last search: one message is often searched twice (FAQ route, then fallback).
        self._last: tuple[tuple[int, str, int], list[Candidate]] | None = None
        self._prepared: OrderedDict[str, list[Candidate]] = OrderedDict()

    @property
    def semantic(self) -> bool:
        """True when questions are matched with embeddings too."""
        return self._worker is not None

    def refresh(self) -> None:
        """Bring the index up to date with the store, in this thread (cheap if nothing changed).

        With semantic matching, new and edited phrasings are embedded here: on the event loop,
        use `prepare` instead.
        """
        version = self.kb.version()
        if version == self._version:
            return
        faqs = self.kb.all()
        with self._lock:
            self._apply(version, faqs)

    async def prepare(self, text: str = "") -> None:
        """Refresh and search `text` off the event loop (semantic only; lexical is fast enough).

        The routes' `search(text)` then returns what was found here without embedding anything.
        """
        if self._worker is None:
            return
        version = self.kb.version()
        faqs = None
        if version not in (self._version, self._sent_version):
            self._sent_version = version
            faqs = self.kb.all()
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._worker, self._prepare, version, faqs, text)

    def search(self, text: str, limit: int = 3) -> list[Candidate]:
        """The best FAQs for a question, best first; never an FAQ listing it as a negative."""
        prepared = self._prepared.get(text)
        if prepared is not None and limit <= PREPARED_LIMIT:
            return prepared[:limit]
        self.refresh()
        key = (self._version, text, limit)
        if self._last is not None and self._last[0] == key:
            return list(self._last[1])
        with self._lock:
            result = self._search(text, limit)
        self._last = (key, result)
        return list(result)

    def get(self, faq_id: str) -> Faq | None:
        """One enabled FAQ by id."""
        if self._worker is None:
            self.refresh()  # with semantic matching, `prepare` keeps the FAQs current
        return self.faqs.get(faq_id)

    def close(self) -> None:
        """Stop the worker thread once its current job is done (semantic only)."""
        if self._worker is not None:
            self._worker.shutdown(wait=False, cancel_futures=True)

    def _prepare(self, version: int, faqs: list[Faq] | None, text: str) -> None:
        """In the worker: apply the store's FAQs if they are new, then search `text`."""
        with self._lock:
            if faqs is not None:
                try:
                    self._apply(version, faqs)
                except BaseException:
                    self._sent_version = -1  # the next prepare hands the FAQs over again
                    raise
            if text.strip():
                self._prepared[text] = self._search(text, PREPARED_LIMIT)
                self._prepared.move_to_end(text)
                while len(self._prepared) > PREPARED_TEXTS:
                    self._prepared.popitem(last=False)

    def _apply(self, version: int, faqs: list[Faq]) -> None:
        """Make the matcher hold exactly `faqs`, touching only what changed (lock held)."""
        if version == self._version:
            return
        current = {faq.id: faq for faq in faqs}
        for faq_id in set(self.faqs) - set(current):
            self.matcher.remove(faq_id)
        changed = [document_of(f) for faq_id, f in current.items() if self.faqs.get(faq_id) != f]
        if isinstance(self.matcher, Matcher):
            for document in changed:
                self.matcher.upsert(document)
        else:
            self.matcher.upsert_many(changed)
        negated: dict[str, set[str]] = {}
        for faq in current.values():
            for text in faq.negatives:
                negated.setdefault(normalize(to_simplified(text)), set()).add(faq.id)
        self.faqs, self._negated, self._version = current, negated, version
        self._prepared.clear()  # prepared results hold only for the index they came from
        log.info("FAQ index at version %d with %d FAQs", version, len(current))

    def _search(self, text: str, limit: int) -> list[Candidate]:
        """Rank candidates for `text` with the index as it is (lock held)."""
        # No question is this long: the rest of a long text would only cost time.
        query = to_simplified(text[:MAX_QUERY_CHARS])
        # A negative written out exactly is a promise to staff, whatever the matcher scores.
        excluded = self._negated.get(normalize(query), set())
        found = self.matcher.search(query, limit=limit + len(excluded))
        return [candidate for candidate in found if candidate.faq_id not in excluded][:limit]
