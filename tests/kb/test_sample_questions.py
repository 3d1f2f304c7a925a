"""The sample knowledge base against paraphrased customer questions in three scripts."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from tests.helpers.paths import ROOT


def test_sample_questions_are_answered_right_or_not_at_all(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Paraphrases, typos and traditional characters, none of them a phrasing of the KB, plus
    # questions the shop cannot answer: a guard on matching as customers actually ask.
    monkeypatch.delenv("BRANDBOT_DB", raising=False)
    config = tmp_path / "sample.toml"
    config.write_text(
        f'[store]\npath = "{tmp_path / "sample.db"}"\n'
        f'[knowledge_base]\npath = "{ROOT / "knowledge_base"}"\nsemantic = false\n',
        encoding="utf-8",
    )
    questions = ROOT / "samples" / "kb_questions.csv"
    code = main(["kb", "eval", str(questions), "--config", str(config)])
    out = capsys.readouterr().out
    assert code == 0, out
    lines = dict(line.split(":", 1) for line in out.splitlines() if ":" in line)
    assert float(lines["top-1"]) >= 0.95, out
    # The bot may ask "did you mean" when unsure, but an outright answer must be the right one.
    assert "(0 with the wrong FAQ)" in lines["answered"], out
    assert float(lines["oos recall"]) == 1.0, out
