"""`brandbot kb …` end to end on real store files: import/export round trips, reports, queue."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.cli import main
from bot.clock import Clock
from bot.store import open_store

ROOT = Path(__file__).resolve().parents[1]
Run = Callable[..., tuple[int, str]]


def write_config(folder: Path, name: str, knowledge: Path) -> Path:
    config = folder / f"{name}.toml"
    config.write_text(
        f'[store]\npath = "{folder / (name + ".db")}"\n'
        f'[knowledge_base]\npath = "{knowledge}"\n',
        encoding="utf-8",
    )
    return config


@pytest.fixture
def empty_kb(tmp_path: Path) -> Path:
    """A knowledge_base folder with the bot's texts but no FAQs (seeds nothing)."""
    folder = tmp_path / "empty_kb"
    (folder / "faq").mkdir(parents=True)
    shutil.copy(ROOT / "knowledge_base" / "replies.toml", folder / "replies.toml")
    return folder


@pytest.fixture
def run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Run:
    """Run `brandbot` with a config (default: the sample KB in its own store)."""
    monkeypatch.delenv("BRANDBOT_DB", raising=False)
    sample = write_config(tmp_path, "sample", ROOT / "knowledge_base")

    def invoke(*argv: str, config: Path = sample) -> tuple[int, str]:
        code = main(["kb", *argv, "--config", str(config)])
        return code, capsys.readouterr().out

    return invoke


@pytest.mark.parametrize("name", ["kb.csv", "kb.toml", "kb_folder"])
def test_export_import_export_gives_identical_output(
    run: Run, tmp_path: Path, empty_kb: Path, name: str
) -> None:
    first, second = tmp_path / "first" / name, tmp_path / "second" / name
    first.parent.mkdir()
    second.parent.mkdir()
    code, out = run("export", str(first))
    assert code == 0 and "exported 58 FAQs" in out
    fresh = write_config(tmp_path, "fresh", empty_kb)
    code, out = run("import", str(first), config=fresh)
    assert code == 0, out
    assert "58 new, 0 changed" in out and "imported: 58 revisions" in out
    code, out = run("export", str(second), config=fresh)
    assert code == 0
    if first.is_dir():
        files = sorted(p.relative_to(first) for p in first.rglob("*.toml"))
        assert files == sorted(p.relative_to(second) for p in second.rglob("*.toml"))
        assert all((first / f).read_bytes() == (second / f).read_bytes() for f in files)
    else:
        assert first.read_bytes() == second.read_bytes()
    store = open_store(tmp_path / "fresh.db")
    assert store.kb.revisions("shipping-time")[-1].who == "import"
    store.close()


def test_a_spreadsheet_edit_is_reported_then_imported_as_a_revision(
    run: Run, tmp_path: Path
) -> None:
    sheet = tmp_path / "kb.csv"
    run("export", str(sheet))
    text = sheet.read_text(encoding="utf-8-sig")
    text += "shipping-time,question,en,when do parcels leave the warehouse,\r\n"
    sheet.write_text(text, encoding="utf-8-sig")
    code, out = run("import", str(sheet), "--dry-run")
    assert code == 0 and "1 changed" in out and "dry run: nothing written" in out
    assert "validation:" in out
    store = open_store(tmp_path / "sample.db")
    assert len(store.kb.revisions("shipping-time")) == 1
    store.close()
    code, out = run("import", str(sheet))
    assert code == 0 and "imported: 1 revisions" in out
    store = open_store(tmp_path / "sample.db")
    faq = store.kb.get("shipping-time")
    assert faq is not None and "when do parcels leave the warehouse" in faq.questions["en"]
    assert store.kb.revisions("shipping-time")[-1].who == "import"
    store.close()
    code, out = run("history", "shipping-time")
    assert "seed  created" in out and "import  questions" in out


def test_an_import_with_errors_writes_nothing(run: Run, tmp_path: Path) -> None:
    sheet = tmp_path / "kb.csv"
    sheet.write_text(
        "faq_id,kind,language,text,target\r\n"
        "cats,question,zh-Hant,有貓嗎,\r\n"
        "cats,answer,en,No cats here.,\r\n"
        "dogs,question,en,How do I change my delivery address?,\r\n"
        "dogs,answer,en,Dogs.,\r\n"
        "dogs,answer,zh-Hans,,\r\n",
        encoding="utf-8",
    )
    code, out = run("import", str(sheet))
    assert code == 1 and "nothing imported" in out
    assert "row 2: language 'zh-Hant' must be one of zh-Hans, en" in out
    assert "is in several FAQs: address-change, dogs" in out
    assert "faq dogs: empty zh-Hans answer" in out
    store = open_store(tmp_path / "sample.db")
    assert store.kb.get("dogs") is None and store.kb.get("cats") is None
    store.close()


def test_replace_disables_faqs_missing_from_the_file(run: Run, tmp_path: Path) -> None:
    sheet = tmp_path / "kb.csv"
    run("export", str(sheet))
    lines = sheet.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    sheet.write_text("".join(line for line in lines if not line.startswith("wholesale,")),
                     encoding="utf-8-sig")
    code, out = run("import", str(sheet), "--replace")
    assert code == 0 and "1 only in the store (to be disabled)" in out
    store = open_store(tmp_path / "sample.db")
    faq = store.kb.get("wholesale")
    assert faq is not None and not faq.enabled
    store.close()


def test_review_queue_commands(run: Run, tmp_path: Path) -> None:
    run("unanswered")  # creates and seeds the store
    store = open_store(tmp_path / "sample.db")
    now = Clock().now()
    store.kb_review.log("qwzx plomf", now, reason="unanswered", near=["coupons"])
    store.kb_review.log("Qwzx plomf?", now, reason="unanswered")
    store.kb_review.log("Do you sell matcha whisks?", now, reason="suggested")
    store.close()
    code, out = run("unanswered")
    assert code == 0
    assert "#1  ×2" in out and "'Qwzx plomf?' · 'qwzx plomf'" in out and "near:  coupons" in out
    code, out = run("attach", "1", "payment-methods", "--as", "anna")
    assert code == 0 and "attached question #1 to payment-methods" in out
    code, out = run("create", "2", "--answer", "Yes, bamboo whisks.", "--as", "anna")
    assert code == 0 and "created FAQ do-you-sell-matcha-whisks" in out
    code, out = run("unanswered")
    assert "the review queue is empty" in out
    code, out = run("attach", "7", "payment-methods")
    assert code == 1 and "error: no question 7" in out
    code, out = run("test", "qwzx plomf")
    assert "outcome:    answer payment-methods" in out
    code, out = run("undo", "--as", "anna")
    assert "restored do-you-sell-matcha-whisks" in out
    code, out = run("undo", "--as", "anna")
    code, out = run("test", "qwzx plomf")
    assert "answer payment-methods" not in out


def test_kb_test_shows_normalised_text_scores_and_outcome(run: Run) -> None:
    code, out = run("test", "多久發貨？！")
    assert code == 0
    assert "language:   zh-Hant" in out and "normalised: 多久发货" in out
    assert "1. shipping-time" in out and "via:" in out
    assert "outcome:    answer shipping-time" in out


def test_kb_eval_scores_a_labelled_file(run: Run, tmp_path: Path) -> None:
    labelled = tmp_path / "labelled.csv"
    labelled.write_text(
        "text,faq_id\n"
        "How long until my order ships?,shipping-time\n"
        "多久发货？,shipping-time\n"
        "Do you offer gift wrapping?,gift-wrapping\n"
        "qwzx plomf,oos\n"
        "How do I use a gaiwan?,wholesale\n"
        "something,no-such-faq\n",
        encoding="utf-8",
    )
    code, out = run("eval", str(labelled))
    assert code == 0
    assert "row 7: no FAQ 'no-such-faq' (skipped)" in out
    assert "questions:  5" in out
    assert "top-1:      0.750" in out and "top-3:      0.750" in out
    assert "answered:   4  (1 with the wrong FAQ)" in out
    assert "oos recall: 1.000" in out
    assert "wholesale → gaiwan-use  ×1  'How do I use a gaiwan?' (answer," in out


def test_bad_paths_get_a_clear_error(run: Run, tmp_path: Path) -> None:
    code, out = run("export", str(tmp_path / "kb.xlsx"))
    assert code == 1 and "use a folder, a .toml or a .csv file" in out
    code, out = run("eval", str(tmp_path / "missing.csv"))
    assert code == 1 and out.startswith("error:") and "missing.csv" in out
    code, out = run("import", str(tmp_path / "missing.csv"))
    assert code == 1 and "no such file or folder" in out
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    code, out = run("eval", str(binary))
    assert code == 1 and out.startswith("error:")
