"""Rows of unit vectors in one matrix, so a question is scored against all of them at once."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

Vectors = NDArray[np.float32]
Rows = NDArray[np.intp]


class VectorRows:
    """A growable float32 matrix whose rows belong to owners (numbered FAQs).

    Freed rows are reused, so an edit never rebuilds the matrix.
    """

    def __init__(self, dimensions: int) -> None:
        self._matrix: Vectors = np.zeros((0, dimensions), dtype=np.float32)
        self._used: NDArray[np.bool_] = np.zeros(0, dtype=np.bool_)
        self._owners: Rows = np.zeros(0, dtype=np.intp)
        self._free: list[int] = []
        self._end = 0  # rows ever handed out; everything from here on is spare capacity

    def add(self, vectors: Vectors, owner: int) -> Rows:
        """Store vectors (one per row) for `owner` and return the rows they went to."""
        count = len(vectors)
        reused = [self._free.pop() for _ in range(min(count, len(self._free)))]
        fresh = count - len(reused)
        if self._end + fresh > len(self._matrix):
            self._grow(self._end + fresh)
        rows = np.array(reused + list(range(self._end, self._end + fresh)), dtype=np.intp)
        self._end += fresh
        self._matrix[rows] = vectors
        self._used[rows] = True
        self._owners[rows] = owner
        return rows

    def remove(self, rows: Rows) -> None:
        """Free rows for reuse."""
        self._matrix[rows] = 0.0
        self._used[rows] = False
        self._free.extend(int(row) for row in rows)

    def cosines(self, vector: Vectors) -> NDArray[np.float32]:
        """The cosine of a unit `vector` with every row; -inf for free rows."""
        scores = self._matrix[: self._end] @ vector
        scores[~self._used[: self._end]] = -np.inf
        return scores

    def cosines_of(self, rows: Rows, vector: Vectors) -> NDArray[np.float32]:
        """The cosine of a unit `vector` with some rows only."""
        scores: NDArray[np.float32] = self._matrix[rows] @ vector
        return scores

    def best(self, scores: NDArray[np.float32], owners: int) -> NDArray[np.float32]:
        """Each owner's highest score among its rows (-inf without rows), for owners 0..n-1."""
        best = np.full(owners, -np.inf, dtype=np.float32)
        np.maximum.at(best, self._owners[: self._end], scores)
        return best

    def _grow(self, needed: int) -> None:
        # Doubling keeps adding n rows one FAQ at a time O(n) in all.
        capacity = max(needed, 2 * len(self._matrix), 64)
        end = self._end
        matrix = np.zeros((capacity, self._matrix.shape[1]), dtype=np.float32)
        matrix[:end] = self._matrix[:end]
        used = np.zeros(capacity, dtype=np.bool_)
        used[:end] = self._used[:end]
        owners = np.zeros(capacity, dtype=np.intp)
        owners[:end] = self._owners[:end]
        self._matrix, self._used, self._owners = matrix, used, owners
