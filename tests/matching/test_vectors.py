"""VectorRows: one matrix for every phrasing, rows reused after edits."""

from __future__ import annotations

from typing import Any

import pytest

np = pytest.importorskip("numpy")

from bot.matching.vectors import VectorRows  # noqa: E402


def unit(*values: float) -> Any:
    vector = np.array(values, dtype=np.float32)
    return vector / np.linalg.norm(vector)


def test_cosines_and_each_owners_best() -> None:
    rows = VectorRows(2)
    first = rows.add(np.stack([unit(1, 0), unit(0, 1)]), owner=0)
    rows.add(np.stack([unit(1, 1)]), owner=1)
    assert first.tolist() == [0, 1]
    cosines = rows.cosines(unit(1, 0))
    assert cosines.tolist() == pytest.approx([1.0, 0.0, 0.7071], abs=1e-4)
    assert rows.best(cosines, owners=3).tolist() == pytest.approx(
        [1.0, 0.7071, -np.inf], abs=1e-4
    )


def test_removed_rows_score_nothing_and_are_reused() -> None:
    rows = VectorRows(2)
    first = rows.add(np.stack([unit(1, 0), unit(0, 1)]), owner=0)
    rows.remove(first)
    assert rows.cosines(unit(1, 0)).tolist() == [-np.inf, -np.inf]
    again = rows.add(np.stack([unit(0, 1)]), owner=1)
    assert again.tolist()[0] in first.tolist()
    assert rows.best(rows.cosines(unit(0, 1)), owners=2).tolist() == [-np.inf, 1.0]


def test_the_matrix_grows_without_losing_rows() -> None:
    rows = VectorRows(2)
    for owner in range(100):
        rows.add(np.stack([unit(1, owner)]), owner=owner)
    best = rows.best(rows.cosines(unit(1, 0)), owners=100)
    assert int(best.argmax()) == 0 and len(best) == 100
    assert best[99] == pytest.approx(float(unit(1, 99) @ unit(1, 0)))
