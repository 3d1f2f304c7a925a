"""`brandbot shell` with piped input, as a script would use it; the store checked afterwards."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bot.store import open_store
from tests.helpers.paths import ROOT


def run_shell(lines: str, db: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "BRANDBOT_DB": str(db)}
    return subprocess.run(
        [sys.executable, "-m", "bot", "shell", "--config", str(ROOT / "config.toml"), *extra],
        input=lines, capture_output=True, text=True, env=env, timeout=60, check=False,
    )


def test_piped_conversation_in_chinese_and_english(tmp_path: Path) -> None:
    db = tmp_path / "shell.db"
    result = run_shell("多久发货\nHow long until my order ships?\n", db, "--as", "tester")
    assert result.returncode == 0, result.stderr
    assert "16:00" in result.stdout and "发货" in result.stdout
    assert "ship" in result.stdout
    assert "1. " in result.stdout  # buttons print as numbered lines
    store = open_store(db)
    customer = store.customers.find("console", "tester")
    assert customer is not None
    lines = store.conversations.recent(customer.id)
    assert [line.direction for line in lines] == ["in", "out", "in", "out"]
    assert lines[0].text == "多久发货"


def test_kb_test_prints_scores_and_outcome(tmp_path: Path) -> None:
    env = {**os.environ, "BRANDBOT_DB": str(tmp_path / "kb.db")}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "kb", "test", "多久发货",
         "--config", str(ROOT / "config.toml")],
        capture_output=True, text=True, env=env, timeout=60, check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "1. shipping-time" in result.stdout
    assert "outcome:    answer shipping-time" in result.stdout


def test_a_broken_config_is_reported_not_a_traceback(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text('[server]\nport = "x"\n', encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "bot", "shell", "--config", str(config)],
        input="", capture_output=True, text=True, timeout=60, check=False,
    )
    assert result.returncode == 2
    assert "server.port: must be an integer" in result.stderr
    assert "Traceback" not in result.stderr
