"""`brandbot kb …` end to end on real store files: import/export round trips, reports, queue."""

from __future__ import annotations

import csv
import io
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.app import build_bot
from bot.cli import main
from bot.config import load_config
from bot.core.clock import Clock
from bot.kb.evaluation import read_labelled
from bot.kb.seed import load_faqs
from bot.store import open_store
from tests.helpers.chat import Chat
from tests.helpers.paths import ROOT

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
    count = len(load_faqs(ROOT / "knowledge_base"))  # the FAQs and the small-talk entries
    code, out = run("export", str(first))
    assert code == 0 and f"exported {count} FAQs" in out
    fresh = write_config(tmp_path, "fresh", empty_kb)
    code, out = run("import", str(first), config=fresh)
    assert code == 0, out
    assert f"{count} new, 0 changed" in out and f"imported: {count} revisions" in out
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


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16"])
def test_kb_eval_reads_a_file_excel_saved(run: Run, tmp_path: Path, encoding: str) -> None:
    labelled = tmp_path / "labelled.csv"
    labelled.write_bytes(
        (
            "text;faq_id;notes\r\n"
            'How long until my order ships?;shipping-time;"asked twice;\r\nby phone"\r\n'
            ";;\r\n"
            "'- Do you offer gift wrapping?;gift-wrapping;\r\n"
            "qwzx plomf;oos;\r\n"
            ";shipping-time;\r\n"
            "something;no-such-faq;\r\n"
            "多久发货?;shipping-time;a;b\r\n"
            "多久发货？;#N/A;\r\n"
        ).encode(encoding)
    )
    code, out = run("eval", str(labelled))
    assert code == 0, out
    assert out.splitlines()[:4] == [
        "  labelled.csv row 6: text is empty (skipped)",
        "  labelled.csv row 7: no FAQ 'no-such-faq' (skipped)",
        "  labelled.csv row 8: 4 cells but 3 named columns (a delimiter inside an unquoted"
        " cell? put the cell in quotes) (skipped)",
        "  labelled.csv row 9: faq_id is #N/A, a spreadsheet formula error; type the text again"
        " with an apostrophe (') in front (skipped)",
    ]
    assert "questions:  3" in out and "top-1:      1.000" in out
    pairs, _ = read_labelled(labelled, {"shipping-time", "gift-wrapping"})
    # The apostrophe that keeps "- Do you…" from being a formula is not part of the question.
    assert pairs == [
        ("How long until my order ships?", "shipping-time"),
        ("- Do you offer gift wrapping?", "gift-wrapping"),
        ("qwzx plomf", "oos"),
    ]


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b'text,faq_id\nHow long until my order ships?,shipping-time\n"never closed,oos\n',
         "error: labelled.csv row 3: a quoted cell is never closed"),
        (b"text\nHow long until my order ships?\n",
         "error: labelled.csv row 1: missing column(s) faq_id"),
        ("text,faq_id\n多久发货,shipping-time\n".encode("gb18030"),
         "error: labelled.csv line 2: the file is not UTF-8 text"),
    ],
)
def test_kb_eval_scores_nothing_of_a_file_it_cannot_read_whole(
    run: Run, tmp_path: Path, data: bytes, problem: str
) -> None:
    labelled = tmp_path / "labelled.csv"
    labelled.write_bytes(data)
    code, out = run("eval", str(labelled))
    assert code == 1
    assert out.splitlines() == [out.splitlines()[0], "nothing to score"]
    assert out.startswith(problem)


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


RISKY_FAQS = '''
[[faq]]
id = "sizes"
keywords = ["=cmd|' /C calc'!A0", "-尺码"]
negatives = ["+1 for sizes"]

[faq.questions]
zh-Hans = ["尺码偏小吗", "@客服 尺码"]
en = ["Do sizes run small?", "-sizes?", "'=literally this"]

[faq.answer]
zh-Hans = "- 偏小一码\\n- 建议拍大一号"
en = "- They run one size small.\\r\\n- Order one size up."

[[faq.buttons]]
id = "faq:phone"
zh-Hans = "+86 客服电话"
en = "@support phone"

[[faq]]
id = "phone"

[faq.questions]
zh-Hans = ["客服电话是多少"]
en = ["What is your phone number?"]

[faq.answer]
zh-Hans = "+86 400 123 4567"
en = "+86 400 123 4567 (09:00–18:00)"

[faq.link]
url = "https://cloudleaf.example/contact"
en = '=HYPERLINK("http://evil.example","Contact")'
'''


def test_csv_export_cells_never_start_a_formula_and_round_trip_exactly(
    run: Run, tmp_path: Path, empty_kb: Path
) -> None:
    risky = tmp_path / "risky_kb"
    shutil.copytree(empty_kb, risky)
    (risky / "faq" / "risky.toml").write_text(RISKY_FAQS, encoding="utf-8")
    first, second = tmp_path / "first.csv", tmp_path / "second.csv"
    code, out = run("export", str(first), config=write_config(tmp_path, "risky", risky))
    assert code == 0 and "exported 2 FAQs" in out
    rows = list(csv.reader(io.StringIO(first.read_bytes().decode("utf-8-sig"), newline="")))
    assert all(not cell.startswith(("=", "+", "-", "@", "\t", "\r")) for row in rows
               for cell in row)
    answer = "'- They run one size small.\r\n- Order one size up."
    assert ["sizes", "answer", "en", answer, ""] in rows
    assert ["phone", "link", "en", "'=HYPERLINK(\"http://evil.example\",\"Contact\")",
            "https://cloudleaf.example/contact"] in rows
    assert ["sizes", "question", "en", "''=literally this", ""] in rows
    fresh = write_config(tmp_path, "fresh", empty_kb)
    code, out = run("import", str(first), config=fresh)
    assert code == 0 and "imported: 2 revisions" in out, out
    code, out = run("export", str(second), config=fresh)
    assert first.read_bytes() == second.read_bytes()
    seeded, imported = open_store(tmp_path / "risky.db"), open_store(tmp_path / "fresh.db")
    for faq_id in ("sizes", "phone"):
        before, after = seeded.kb.get(faq_id), imported.kb.get(faq_id)
        assert before is not None and after is not None
        assert after.to_dict() == before.to_dict()
    assert after.link_titles["en"].startswith("=HYPERLINK")
    seeded.close()
    imported.close()


GOOD_ROWS = (
    "faq_id,kind,language,text,target\r\n"
    "cats,question,en,Do you have cats?,\r\n"
    "cats,question,zh-Hans,有猫吗,\r\n"
    "cats,answer,en,No cats here.,\r\n"
    "cats,answer,zh-Hans,没有猫。,\r\n"
)


@pytest.mark.parametrize(
    ("data", "report"),
    [
        (GOOD_ROWS.encode("gb18030"), "error: kb.csv line 3: the file is not UTF-8 text; save it"
                                      ' as "CSV UTF-8" in Excel'),
        (GOOD_ROWS.replace(",language,", ",lang,").encode(),
         "error: kb.csv row 1: unknown column 'lang': remove or rename it"),
        (GOOD_ROWS.replace(",target", ",target,notes").encode(),
         "error: kb.csv row 1: unknown column 'notes'"),
        (GOOD_ROWS.replace("faq_id,kind,", "faq_id,").encode(),
         "error: kb.csv row 1: missing column(s) kind"),
        (GOOD_ROWS.replace("No cats here.", "No, cats are not here.").encode(),
         "error: kb.csv row 4: only button and link rows use the target column; a comma"),
        (GOOD_ROWS.replace("No cats here.", "No, cats, are not here.").encode(),
         "error: kb.csv row 4: 7 cells but 5 named columns (a delimiter inside an unquoted cell?"),
        (GOOD_ROWS.replace("No cats here.", "#NAME?").encode(),
         "error: kb.csv row 4: text is #NAME?, a spreadsheet formula error"),
        (GOOD_ROWS.replace("No cats here.", '"No cats here.').encode(),
         "error: kb.csv row 4: a quoted cell is never closed"),
        (GOOD_ROWS.replace("cats,question,zh-Hans", "cats,questoin,zh-Hans").encode(),
         "error: kb.csv row 3: kind 'questoin' is not one of"),
        (GOOD_ROWS.replace("cats,", "Cats,").encode(),
         "error: kb.csv row 2, faq: id 'Cats' must be lowercase letters"),
        ((GOOD_ROWS + "dogs,question,en,Dogs?,\r\n").encode(),
         "error: kb.csv row 6, faq dogs: needs an answer or an action"),
        (b"", "error: kb.csv: the file is empty"),
    ],
)
def test_a_bad_spreadsheet_is_reported_by_row_and_nothing_is_imported(
    run: Run, tmp_path: Path, empty_kb: Path, data: bytes, report: str
) -> None:
    sheet = tmp_path / "kb.csv"
    # A good FAQ too, so that a half import would show.
    sheet.write_bytes(data + b"birds,question,en,Birds?,\r\nbirds,answer,en,Tweet.,\r\n"
                      if data else data)
    fresh = write_config(tmp_path, "fresh", empty_kb)
    code, out = run("import", str(sheet), config=fresh)
    assert code == 1 and "nothing imported: fix the errors first" in out
    assert f"  {report}" in out, out
    assert "validation: 0 errors" not in out
    store = open_store(tmp_path / "fresh.db")
    assert store.kb.all(include_disabled=True) == []
    store.close()


def test_what_excel_and_libreoffice_save_imports(run: Run, tmp_path: Path, empty_kb: Path) -> None:
    semicolons = (
        "sep=;\r\n"
        "faq_id;kind;language;text;target\r\n"
        "hours;question;en;When are you open?;\r\n"
        "hours;question;zh-Hans;几点开门;\r\n"
        'hours;answer;en;"Mon–Fri 9–18;\nweekends 10–16";\r\n'
        "hours;answer;zh-Hans;'- 周一至周五 9–18;\r\n"
        ";;;;\r\n"
        "\r\n"
        ";;;;\r\n"
    )
    tabs = "\t".join(["faq_id", "kind", "language", "text"]) + "\r\n" + "\r\n".join(
        "\t".join(row) for row in [
            ["gifts", "question", "en", "Do you wrap gifts?"],
            ["gifts", "question", "zh-Hans", "可以包装礼物吗"],
            ["gifts", "answer", "en", "Yes, for free."],
            ["gifts", "answer", "zh-Hans", "可以，免费。"],
        ]
    )
    files = {
        "excel-de.csv": ("\ufeff" + semicolons).encode(), "unicode.csv": tabs.encode("utf-16")
    }
    fresh = write_config(tmp_path, "fresh", empty_kb)
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
        code, out = run("import", str(tmp_path / name), config=fresh)
        assert code == 0 and "imported: 1 revisions" in out, out
    store = open_store(tmp_path / "fresh.db")
    hours, gifts = store.kb.get("hours"), store.kb.get("gifts")
    store.close()
    assert hours is not None and gifts is not None
    assert hours.answers == {"en": "Mon–Fri 9–18;\nweekends 10–16", "zh-Hans": "- 周一至周五 9–18"}
    assert gifts.questions == {"en": ("Do you wrap gifts?",), "zh-Hans": ("可以包装礼物吗",)}


def test_an_import_the_store_refuses_half_way_leaves_nothing_behind(
    run: Run, tmp_path: Path, empty_kb: Path
) -> None:
    sheet = tmp_path / "kb.csv"
    sheet.write_text(
        GOOD_ROWS + "zebra,question,en,Zebras?,\r\nzebra,answer,en,Stripes.,\r\n",
        encoding="utf-8",
    )
    fresh = write_config(tmp_path, "fresh", empty_kb)
    run("unanswered", config=fresh)  # creates the store
    store = open_store(tmp_path / "fresh.db")
    # A disk that fills up part-way, as SQLite would report it: "cats" is written first.
    store.db.execute(
        "CREATE TRIGGER full BEFORE INSERT ON faqs WHEN NEW.id = 'zebra'"
        " BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END"
    )
    store.close()
    code, out = run("import", str(sheet), config=fresh)
    assert code == 1
    assert "nothing imported: the store refused the change (database or disk is full)" in out
    store = open_store(tmp_path / "fresh.db")
    assert store.kb.all(include_disabled=True) == [] and store.kb.recent_revisions() == []
    store.close()


async def test_a_negative_added_in_the_spreadsheet_stops_a_wrong_match_at_the_next_message(
    run: Run, tmp_path: Path
) -> None:
    run("unanswered")  # creates and seeds the store
    bot = build_bot(load_config(tmp_path / "sample.toml", env={}))
    await bot.start()
    try:
        chat = Chat(bot)
        [wrong] = await chat.say("can I cancel my membership")
        assert "feedback:up:order-cancel" in [b.id for b in wrong.buttons], (
            "the sample KB's wrong match this test corrects; pick another if the matcher"
            " has learnt this one"
        )
        sheet = tmp_path / "kb.csv"
        run("export", str(sheet))
        with sheet.open("a", encoding="utf-8", newline="") as file:
            file.write("order-cancel,negative,,cancel my membership,\r\n")
        code, out = run("import", str(sheet))
        assert code == 0 and "1 changed" in out and "imported: 1 revisions" in out
        # The bot is another connection to the store: no restart, the next message sees it.
        [right] = await chat.say("can I cancel my membership")
        ids = [button.id for button in right.buttons]
        assert not [faq_id for faq_id in ids if faq_id.endswith("order-cancel")]
        assert [faq_id for faq_id in ids if faq_id.endswith(":membership-tiers")]
        [still] = await chat.say("Can I cancel my order?")
        assert "feedback:up:order-cancel" in [b.id for b in still.buttons]
    finally:
        await bot.stop()
