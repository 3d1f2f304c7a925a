"""The live FAQ index: the store's FAQs in a matcher and its small talk in a recogniser,
refreshed whenever the store changes, and what they make of one message (`read`).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from contextvars import ContextVar
from multiprocessing.connection import Connection

from bot.config.knowledge_base import KnowledgeBaseSettings
from bot.core.clock import Clock
from bot.core.faq import Candidate, Faq, Reading
from bot.core.language import to_simplified
from bot.core.normalize import normalize
from bot.kb.worker import MatchWorker, Request, pack
from bot.matching import FaqDocument, Matcher
from bot.matching.semantic import SemanticMatcher
from bot.matching.small_talk import SmallTalkEntry, SmallTalkRecognizer, units
from bot.store.kb.faqs import KnowledgeBaseStore
from bot.store.kb.vectors import PhrasingVectors

log = logging.getLogger(__name__)


ANSWER, SUGGEST, CLARIFY, FALLBACK = "answer", "did you mean", "clarify", "fallback"
# A short message ("ok", "退款") is answered outright only when it is this close to a whole
# phrasing or keyword of the FAQ (rapidfuzz ratio of the folded texts).
NEARLY_EXACT = 0.8
# Small talk that closes a topic: around an unclear question, it is the small talk that is
# answered ("thanks for the quick delivery!"), not a "did you mean".
CLOSING = ("thanks", "goodbye", "acknowledge", "praise", "laugh")
# `prepare` ranks this many candidates, enough for any route's search (admin `kb test` shows 5).
PREPARED_LIMIT = 10
# Prepared questions kept: the messages being handled at once, with room to spare.
PREPARED_TEXTS = 256
MAX_QUERY_CHARS = 500
# The index one message holds steady (`one_version`), and the store's edit count once it was
# brought up to date for that message (None until then).
_STEADY: ContextVar[tuple[FaqIndex, list[int | None]] | None] = ContextVar(
    "faq_index_steady", default=None
)


def outcome_of(
    candidates: Sequence[Candidate], settings: KnowledgeBaseSettings, question: str | None = None
) -> str:
    """What the bot does with ranked candidates: answer, ask "did you mean", or fall back.

    With the `question`, a short one (one or two words, up to three Chinese characters) is
    answered only when it is nearly exactly a phrasing or keyword of the top FAQ; otherwise
    the bot asks what the customer means ("clarify"), offering the candidates it has.
    """
    if question is not None and is_short(question):
        top = candidates[0] if candidates else None
        if (
            top is not None
            and top.score >= settings.suggest_threshold
            and top.components.get("exact", 0.0) >= NEARLY_EXACT
        ):
            return ANSWER
        return CLARIFY
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


def is_short(text: str) -> bool:
    """One or two words, or up to three Chinese characters (two with a word beside them)."""
    found = units(text)
    chinese = sum(1 for unit in found if not unit.isascii() and unit.isalpha())
    words = len(found) - chinese
    return bool(found) and (chinese + words <= 2 or (words == 0 and chinese <= 3))


def small_talk_of(faq: Faq) -> SmallTalkEntry:
    """What the small-talk recogniser needs of a small-talk entry."""
    return SmallTalkEntry(faq.id, faq.small_talk, faq.phrasings(), faq.negatives)


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

    Small-talk entries (`small_talk` set) are kept apart: a recogniser covers messages with
    their phrasings, and a lexical matcher of their own catches longer small talk the FAQs
    cannot answer; they never compete with FAQs for a question.

    With `semantic`, embedding runs in one worker thread: `prepare(text)`, awaited by the
    pipeline before routing, brings the index up to date and reads the text there, and the
    routes' synchronous `read`/`search` of that text return the prepared result for as long
    as the index stays as it was. The store is read on the caller's thread only (its
    connection belongs to the event loop).
    """

    def __init__(
        self,
        kb: KnowledgeBaseStore | None,
        settings: KnowledgeBaseSettings | None = None,
        *,
        semantic: bool = False,
        matcher: SemanticMatcher | None = None,
        vectors: PhrasingVectors | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.kb = kb
        # Phrasing vectors kept in the store: a restart embeds only what changed since.
        self.vectors = vectors
        self._unstored: list[str] = []  # KB texts (as the model reads them) without a vector
        self.clock = clock or Clock()
        self.settings = settings or KnowledgeBaseSettings()
        self.faqs: dict[str, Faq] = {}
        self.matcher: Matcher | SemanticMatcher
        self._worker: ThreadPoolExecutor | None = None
        if semantic or matcher is not None:
            # Not `matcher or …`: an empty matcher is falsy (it has a length).
            self.matcher = matcher if matcher is not None else SemanticMatcher()
            # One thread: an embedding already uses every core, and edits apply in order.
            self._worker = ThreadPoolExecutor(1, thread_name_prefix="faq-semantic")
        else:
            self.matcher = Matcher()
        self.small_talk = SmallTalkRecognizer()
        self._small_talk_matcher: Matcher | SemanticMatcher = self._new_small_talk_matcher([])
        self._negated: dict[str, set[str]] = {}  # normalised negative → ids of its FAQs
        self._version = -1
        self._sent_version = -1  # the newest version handed to the worker
        # Held while the matcher changes or searches (the worker and the caller's thread).
        self._lock = threading.Lock()
        # The last search: one message is often searched twice (FAQ route, then fallback).
        self._last: tuple[tuple[int, str, int], list[Candidate]] | None = None
        self._last_reading: tuple[tuple[int, str], Reading] | None = None
        self._prepared: OrderedDict[str, Reading] = OrderedDict()
        # Lexical matching on a second core (`match_workers = 1`): the worker's own index.
        self._process: MatchWorker | None = None
        self._process_version = -1  # the version the worker holds
        if self._worker is None and self.settings.match_workers and kb is not None:
            self._process = MatchWorker(serve, self.settings)

    @property
    def semantic(self) -> bool:
        """True when questions are matched with embeddings too."""
        return self._worker is not None

    def refresh(self) -> None:
        """Bring the index up to date with the store, in this thread (cheap if nothing changed).

        With semantic matching, new and edited phrasings are embedded here: on the event loop,
        use `prepare` instead.
        """
        if self.kb is None:
            return  # a worker's index: its FAQs are loaded by `load`
        steady = _STEADY.get()
        held = steady[1] if steady is not None and steady[0] is self else None
        if held is not None and held[0] == self.kb.edits:
            return  # up to date for this message, and nothing edited here since
        version = self.kb.version()
        if held is not None:
            held[0] = self.kb.edits
        if version == self._version:
            return
        faqs = self.kb.all()
        self._load_vectors(faqs)
        with self._lock:
            self._apply(version, faqs)
        self._keep_vectors()

    @contextmanager
    def one_version(self) -> Iterator[None]:
        """While one message is handled: the store is asked for the KB's version once, not on
        every lookup of its routes (edits made meanwhile by this process still show).

        A context variable, so messages handled at the same time each hold their own.
        """
        token = _STEADY.set((self, [None]))
        try:
            yield
        finally:
            _STEADY.reset(token)

    async def prepare(self, text: str = "") -> None:
        """Refresh and read `text` off the event loop: in the embedding thread (semantic) or
        in the matching process (`match_workers`); on the loop itself, nothing is done here.

        The routes' `read(text)` then returns what was found here without matching again.
        """
        if self._process is not None:
            await self._prepare_in_process(text)
            return
        if self._worker is None or self.kb is None:
            return
        version = self.kb.version()
        faqs = None
        if version not in (self._version, self._sent_version):
            self._sent_version = version
            faqs = self.kb.all()
            self._load_vectors(faqs)
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._worker, self._prepare, version, faqs, text)
        if faqs is not None:
            self._keep_vectors()

    async def _prepare_in_process(self, text: str) -> None:
        """Have the matching process read `text`; the routes then find its reading here."""
        assert self._process is not None
        if not self._process.alive:
            return
        self.refresh()  # the index here and the worker's hold the same version
        version = self._version
        faqs = None
        if version != self._process_version:
            faqs = list(self.faqs.values())
            self._process_version = version
        reading = await self._process.read(version, faqs, text)
        if reading is not None and version == self._version:
            self._keep_prepared(text, reading)

    def _keep_prepared(self, text: str, reading: Reading) -> None:
        self._prepared[text] = reading
        self._prepared.move_to_end(text)
        while len(self._prepared) > PREPARED_TEXTS:
            self._prepared.popitem(last=False)

    def load(self, version: int, faqs: list[Faq]) -> None:
        """Hold exactly `faqs` as `version` (a worker's index, fed by its parent)."""
        with self._lock:
            self._apply(version, faqs)

    def read_loaded(self, text: str) -> Reading:
        """Read `text` with the FAQs loaded as they are (a worker's index)."""
        with self._lock:
            return self._read(text)

    def read(self, text: str) -> Reading:
        """What a message's text holds: small talk, the question, the FAQs and the outcome."""
        prepared = self._prepared.get(text)
        if prepared is not None:
            return prepared
        self.refresh()
        key = (self._version, text)
        if self._last_reading is not None and self._last_reading[0] == key:
            return self._last_reading[1]
        with self._lock:
            reading = self._read(text)
        self._last_reading = (key, reading)
        return reading

    def search(self, text: str, limit: int = 3) -> list[Candidate]:
        """The best FAQs for a question, best first; never an FAQ listing it as a negative."""
        prepared = self._prepared.get(text)
        if prepared is not None and prepared.question == text and limit <= PREPARED_LIMIT:
            return list(prepared.candidates[:limit])
        self.refresh()
        key = (self._version, text, limit)
        if self._last is not None and self._last[0] == key:
            return list(self._last[1])
        with self._lock:
            result = self._search(text, limit)
        self._last = (key, result)
        return list(result)

    def get(self, faq_id: str) -> Faq | None:
        """One enabled FAQ or small-talk entry by id."""
        if self._worker is None:
            self.refresh()  # with semantic matching, `prepare` keeps the FAQs current
        return self.faqs.get(faq_id)

    def close(self) -> None:
        """Stop the worker thread once its current job is done, or the matching process."""
        if self._worker is not None:
            self._worker.shutdown(wait=False, cancel_futures=True)
        if self._process is not None:
            self._process.close()

    def _load_vectors(self, faqs: list[Faq]) -> None:
        """Hand the encoder the stored vectors of texts it lacks, and note the texts the store
        lacks (on the store's thread)."""
        if self.vectors is None or not isinstance(self.matcher, SemanticMatcher):
            return
        encoder = self.matcher.encoder
        keys = encoder.keys([text for faq in faqs for text in (*faq.phrasings(), *faq.negatives)])
        stored = self.vectors.have(encoder.name, keys)
        wanted = [key for key in encoder.missing(keys) if key in stored]
        if wanted:
            taken = encoder.preload(self.vectors.get_many(encoder.name, wanted))
            log.info("%d KB vectors read from the store", taken)
        self._unstored = [key for key in keys if key not in stored]

    def _keep_vectors(self) -> None:
        """Store the vectors of KB texts the store had none of (on the store's thread)."""
        if self.vectors is None or not isinstance(self.matcher, SemanticMatcher):
            return
        if self._unstored:
            made = self.matcher.encoder.export(self._unstored)
            self.vectors.put_many(self.matcher.encoder.name, made, self.clock.now())
            self._unstored = []

    def _prepare(self, version: int, faqs: list[Faq] | None, text: str) -> None:
        """In the worker: apply the store's FAQs if they are new, then read `text`."""
        with self._lock:
            if faqs is not None:
                try:
                    self._apply(version, faqs)
                except BaseException:
                    self._sent_version = -1  # the next prepare hands the FAQs over again
                    raise
            if text.strip():
                self._keep_prepared(text, self._read(text))

    def _apply(self, version: int, faqs: list[Faq]) -> None:
        """Make the matchers hold exactly `faqs`, touching only what changed (lock held)."""
        if version == self._version:
            return
        current = {faq.id: faq for faq in faqs}
        questions = {faq_id: faq for faq_id, faq in current.items() if not faq.small_talk}
        for faq_id in set(self.faqs) - set(questions):
            if not self.faqs[faq_id].small_talk:
                self.matcher.remove(faq_id)
        changed = [document_of(f) for faq_id, f in questions.items() if self.faqs.get(faq_id) != f]
        if isinstance(self.matcher, Matcher):
            with self.matcher.bulk():
                for document in changed:
                    self.matcher.upsert(document)
        else:
            self.matcher.upsert_many(changed)
        talk = [faq for faq in current.values() if faq.small_talk]
        if talk != [faq for faq in self.faqs.values() if faq.small_talk]:
            self.small_talk = SmallTalkRecognizer(small_talk_of(faq) for faq in talk)
            self._small_talk_matcher = self._new_small_talk_matcher(talk)
        negated: dict[str, set[str]] = {}
        for faq in questions.values():
            for text in faq.negatives:
                negated.setdefault(normalize(to_simplified(text)), set()).add(faq.id)
        self.faqs, self._negated, self._version = current, negated, version
        self._prepared.clear()  # prepared results hold only for the index they came from
        log.info(
            "FAQ index at version %d with %d FAQs and %d small-talk entries", version,
            len(questions), len(talk),
        )

    def _new_small_talk_matcher(self, talk: list[Faq]) -> Matcher | SemanticMatcher:
        """Small talk ranked like FAQs are (by meaning too, sharing the FAQs' encoder)."""
        documents = [document_of(faq) for faq in talk]
        if isinstance(self.matcher, SemanticMatcher):
            return SemanticMatcher(documents, encoder=self.matcher.encoder)
        return Matcher(documents)

    def _read(self, text: str) -> Reading:
        """Read `text` with the index as it is (lock held)."""
        found = self.small_talk.read(text)
        if found.is_small_talk:
            return Reading(
                text, "", small_talk=found.entry, moves=found.categories, anywhere=found.anywhere
            )
        question = found.question if found.entries else text
        candidates = self._search(question, PREPARED_LIMIT)
        outcome = outcome_of(candidates, self.settings, question)
        small_talk = None
        closing = found.category in CLOSING
        if found.entries and (
            outcome in (CLARIFY, FALLBACK) or (outcome == SUGGEST and closing)
        ):
            # Small talk around something the FAQs cannot answer: answer the small talk.
            small_talk = found.entry
        elif outcome in (CLARIFY, FALLBACK):
            small_talk = self._longer_small_talk(text)
        elif candidates:
            small_talk = self._closer_small_talk(text, candidates[0].score)
        return Reading(
            text, question, tuple(candidates), outcome, small_talk, found.categories,
            found.anywhere,
        )

    def _longer_small_talk(self, text: str) -> str | None:
        """A small-talk entry that a message the FAQs cannot answer clearly resembles.

        No FAQ is near, so the bar is the "did you mean" one: a remark this close to small
        talk is better answered as such than with "sorry, I didn't understand". It must lead
        the entries of every other kind by the answer margin.
        """
        # Entries of another kind matter only within the margin of one that clears the bar.
        floor = self.settings.suggest_threshold - self.settings.answer_margin
        ranked = self._small_talk_search(text, 4, floor)
        if not ranked or ranked[0].score < self.settings.suggest_threshold:
            return None
        kind = self.faqs[ranked[0].faq_id].small_talk
        others = [c.score for c in ranked[1:] if self.faqs[c.faq_id].small_talk != kind]
        if others and ranked[0].score - others[0] < self.settings.answer_margin:
            return None
        return ranked[0].faq_id

    def _closer_small_talk(self, text: str, faq_score: float) -> str | None:
        """A small-talk entry that a message resembles clearly more than it does any FAQ.

        "It was good to talk to you today" is near "I want to talk to a person" by meaning;
        it is nearer still to "nice talking to you", and that is what it is.
        """
        bar = faq_score + self.settings.answer_margin
        ranked = self._small_talk_search(text, 1, bar)
        if ranked and ranked[0].score >= bar:
            return ranked[0].faq_id
        return None

    def _small_talk_search(self, text: str, limit: int, floor: float) -> list[Candidate]:
        """Small-talk entries ranked for `text`, skipping those that cannot reach `floor`."""
        query = to_simplified(text[:MAX_QUERY_CHARS])
        if isinstance(self._small_talk_matcher, Matcher):
            return self._small_talk_matcher.search(query, limit=limit, floor=floor)
        return self._small_talk_matcher.search(query, limit=limit)

    def _search(self, text: str, limit: int) -> list[Candidate]:
        """Rank candidates for `text` with the index as it is (lock held)."""
        # No question is this long: the rest of a long text would only cost time.
        query = to_simplified(text[:MAX_QUERY_CHARS])
        # A negative written out exactly is a promise to staff, whatever the matcher scores.
        excluded = self._negated.get(normalize(query), set())
        found = self.matcher.search(query, limit=limit + len(excluded))
        return [candidate for candidate in found if candidate.faq_id not in excluded][:limit]


def serve(connection: Connection, settings: KnowledgeBaseSettings) -> None:
    """The matching process's loop: load FAQs when sent, read each text, until told to stop."""
    index = FaqIndex(None, settings)
    while True:
        try:
            request: Request | None = connection.recv()
        except (EOFError, OSError, KeyboardInterrupt):
            return
        if request is None:
            return
        number, version, faqs, text = request
        if faqs is not None:
            index.load(version, list(faqs))
        connection.send((number, pack(index.read_loaded(text)) if text.strip() else None))
