"""`brandbot` as an operator meets it: a version, one clear line for every mistake a person can
make (never a traceback), progress on long work, and a KB report that puts the file first."""

from __future__ import annotations

import csv
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from bot.core.version import VERSION
from tests.helpers.paths import ROOT


def brandbot(*args: str, db: Path | None = None, config: Path | None = None,
             **env: str) -> subprocess.CompletedProcess[str]:
    variables = {key: value for key, value in os.environ.items()
                 if not key.startswith("BRANDBOT_")}
    if db is not None:
        variables["BRANDBOT_DB"] = str(db)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args, "--config", str(config or ROOT / "config.toml")],
        capture_output=True, text=True, env={**variables, **env}, timeout=120, check=False,
    )


def one_clear_line(result: subprocess.CompletedProcess[str], *expected: str) -> None:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for text in expected:
        assert text in lines[0], lines[0]


def test_version() -> None:
    result = subprocess.run([sys.executable, "-m", "bot", "--version"], capture_output=True,
                            text=True, timeout=60, check=False)
    assert result.returncode == 0 and result.stdout.strip() == f"brandbot {VERSION}"
    assert re.fullmatch(r"\d+\.\d+\.\d+.*", VERSION)


def test_a_port_in_use_is_one_clear_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = brandbot("serve", "--port", str(port), db=tmp_path / "brandbot.db")
    one_clear_line(result, f"port {port} on 127.0.0.1 is in use", "--port")
    assert not (tmp_path / "brandbot.db").exists()  # refused before anything started


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("kb", "import", "no-such-file.csv"), "no-such-file.csv"),
        (("orders", "import", "no-such-orders.csv"), "no-such-orders.csv"),
        (("restore", "no-such-backup.db"), "no-such-backup.db: no such file"),
        (("backup", "no-such-folder/backup.db"), "no-such-folder: no such folder"),
        (("customer", "export", "web:nobody"), "no such store"),
        (("serve", "--host", "no.such.host.invalid"), "cannot listen on 'no.such.host.invalid'"),
    ],
)
def test_a_missing_file_or_wrong_path_is_one_clear_line(
    tmp_path: Path, args: tuple[str, ...], expected: str
) -> None:
    os.chdir(tmp_path)
    result = brandbot(*args, db=tmp_path / "brandbot.db")
    assert "Traceback" not in result.stderr + result.stdout
    assert result.returncode != 0
    assert expected in result.stderr + result.stdout


def test_a_store_in_an_impossible_place_is_one_clear_line(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("", encoding="utf-8")
    result = brandbot("outbox", "list", db=tmp_path / "a-file" / "brandbot.db")
    one_clear_line(result, "a-file: not a folder")


def test_a_value_out_of_range_is_refused_like_a_wrong_type(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("[knowledge_base]\nanswer_threshold = 5.2\n[server]\nport = 'x'\n",
                      encoding="utf-8")
    result = brandbot("serve", config=config)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [
        "config.toml has problems:",
        "  - server.port: must be an integer, got str",
        "  - knowledge_base.answer_threshold: must be between 0 and 1, got 5.2",
    ]


def bulk_kb(path: Path, count: int, *, clash: bool) -> None:
    """`count` new English FAQs (no Chinese: each gets warnings); one may clash with the store."""
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["faq_id", "kind", "language", "text", "target"])
        for number in range(count):
            faq = f"bulk-{number:03d}"
            writer.writerow([faq, "question", "en", f"where is the spare part {number}", ""])
            writer.writerow([faq, "question", "en", f"spare part {number} availability", ""])
            writer.writerow([faq, "answer", "en", f"Spare part {number} is in stock.", ""])
        if clash:
            writer.writerow(["bulk-000", "question", "zh-Hans", "多久发货？", ""])


def test_a_big_import_shows_progress_and_the_files_errors_before_the_stores_warnings(
    tmp_path: Path,
) -> None:
    db = tmp_path / "brandbot.db"
    bulk_kb(tmp_path / "bulk.csv", 220, clash=True)
    refused = brandbot("kb", "import", str(tmp_path / "bulk.csv"), db=db)
    assert refused.returncode == 1, refused.stderr
    out = refused.stdout
    assert "Traceback" not in refused.stderr
    # Progress on stderr, a line every tenth of the way (stderr is not a terminal here).
    progress = [line for line in refused.stderr.splitlines() if "checking every" in line]
    assert len(progress) == 11 and progress[-1].startswith(
        "checking every phrasing against the other FAQs: 278/278 (100%)"
    )
    file_part, _, store_part = out.partition("elsewhere in the store")
    assert "in the file:" in file_part
    assert "error: phrasing '多久发货' is in several FAQs: bulk-000, shipping-time" in file_part
    assert file_part.index("error:") < file_part.index("warning:")
    more = re.search(r"… and (\d+) more warnings \(--all lists every one\)", file_part)
    assert more is not None and int(more.group(1)) > 400
    assert len(re.findall(r"^  warning: ", file_part, re.M)) == 20
    assert "bulk-" not in store_part and "warning:" in store_part
    assert out.rstrip().endswith("nothing imported: fix the errors first")

    bulk_kb(tmp_path / "bulk.csv", 220, clash=False)
    everything = brandbot("kb", "import", str(tmp_path / "bulk.csv"), "--dry-run", "--all",
                          db=db)
    assert everything.returncode == 0, everything.stdout + everything.stderr
    assert "more warnings" not in everything.stdout
    assert len(re.findall(r"^  warning: faq bulk-", everything.stdout, re.M)) == 440
    assert "dry run: nothing written" in everything.stdout
