"""The repository itself: no merge left half done in a tracked text file."""

from __future__ import annotations

import subprocess

import pytest

from tests.helpers.paths import ROOT

MARKERS = ("<<<<<<< ", ">>>>>>> ")


def test_no_conflict_markers_in_tracked_files() -> None:
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout: no list of tracked files")
    listed = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True,
                            check=True).stdout.split("\n")
    found = []
    for name in filter(None, listed):
        path = ROOT / name
        if not path.is_file() or path.suffix in {".png", ".jpg", ".db", ".gz", ".woff2"}:
            continue
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except UnicodeDecodeError:
            continue  # a binary file
        found += [f"{name}:{number}" for number, line in enumerate(lines, 1)
                  if line.startswith(MARKERS) or line == "======="]
    assert found == []
