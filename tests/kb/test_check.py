"""The validation report and the file formats' edge cases."""

from __future__ import annotations

import tomllib
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.faq import Faq, FaqButton
from bot.kb.check import check
from bot.kb.csv_format import dump_csv, load_csv
from bot.kb.files import read_faqs, write_faqs
from bot.kb.toml_format import dump_toml, quote
from tests.helpers.paths import KNOWLEDGE_BASE


def faq(faq_id: str, *questions: str, **fields: object) -> Faq:
    values: dict[str, object] = {"answers": {"zh-Hans": "答", "en": "answer"}}
    values.update(fields)
    return Faq(id=faq_id, questions={"en": tuple(questions)}, **values)  # type: ignore[arg-type]


def test_a_phrasing_another_faq_captures_better_is_reported() -> None:
    faqs = [
        faq("parcel-today", "where is my parcel today", "zzz qqq"),
        faq("parcel", "where is my parcel", "track my parcel"),
        faq("other", "opening hours", "when are you open"),
    ]
    report = check(faqs)
    found = next(c for c in report.captured if c.phrasing == "where is my parcel today")
    assert (found.faq_id, found.other_id) == ("parcel-today", "parcel")
    assert found.own_score is None or found.own_score < found.other_score
    assert any("captured better by parcel" in line for line in report.lines())
    assert report.ok, "captured phrasings are warnings, not errors"


def test_duplicates_negatives_answers_and_buttons() -> None:
    faqs = [
        faq("a", "How long?", "how long", negatives=("HOW LONG",),
            buttons=(FaqButton("faq:nowhere", {"en": "more"}),)),
        faq("b", "how long!", answers={"en": "only english"}),
        faq("c", "closed", enabled=False, answers={"en": "x"}),
    ]
    report = check(faqs, captured=False)
    assert not report.ok
    assert "phrasing 'how long' is in several FAQs: a, b" in report.errors
    assert "faq a: 'HOW LONG' is both a phrasing and a negative" in report.errors
    assert "faq a: the same phrasing is written twice" in report.warnings
    assert "faq a: button faq:nowhere opens no FAQ" in report.warnings
    assert any(w.startswith("faq b: empty zh-Hans answer") for w in report.warnings)
    assert not any("faq c" in line for line in report.lines()), "disabled FAQs are not checked"


def test_csv_problems_name_the_row() -> None:
    faqs, problems = load_csv(
        "faq_id,kind,language,text,target\n"
        "a,question,en,hi,\n"
        "a,answer,en,one,\n"
        "a,answer,en,two,\n"
        "a,colour,en,red,\n"
        "a,button,en,more,\n"
        ",question,en,orphan,\n"
        ",,,,\n"
        "a,enabled,,maybe,\n",
        "kb.csv",
    )
    assert problems == [
        "kb.csv row 4: a second en answer for a",
        "kb.csv row 5: kind 'colour' is not one of action, small_talk, enabled, tag, keyword,"
        " negative, question, answer, button, link",
        "kb.csv row 6: a button needs its id in the target column",
        "kb.csv row 7: faq_id is empty",
        "kb.csv row 9: enabled must be true or false",
    ]
    assert [f.id for f in faqs] == ["a"]
    assert load_csv("id,text\n1,x\n", "kb.csv")[1] == [
        "kb.csv row 1: unknown column 'id': remove or rename it (columns: faq_id, kind,"
        " language, text, target)",
        "kb.csv row 1: missing column(s) faq_id, kind, language: row 1 must name the columns"
        " (faq_id, kind, language, text, target)",
    ]


def test_every_field_survives_both_formats(tmp_path: Path) -> None:
    full = Faq(
        id="full",
        questions={"zh-Hans": ("问题", "第二个"), "en": ('say "hi"', "back\\slash")},
        answers={"zh-Hans": "第一行\n第二行", "en": 'line one\n"quoted"\ttab'},
        tags=("a", "b"), keywords=("k",), negatives=("not this",),
        buttons=(FaqButton("faq:other", {"zh-Hans": "其他", "en": "Other"}),),
        link_url="https://example.com/x?a=1,2", link_titles={"en": "Details"},
        enabled=False,
    )
    action = Faq(id="other", questions={"en": ("where is it",)}, action="orders.lookup")
    for name in ("kb.csv", "kb.toml", "folder"):
        write_faqs(tmp_path / name, [full, action])
        back, problems = read_faqs(tmp_path / name)
        assert problems == [] and sorted(back, key=lambda f: f.id) == [full, action], name


def test_unknown_languages_in_toml_are_problems(tmp_path: Path) -> None:
    path = tmp_path / "kb.toml"
    path.write_text(
        '[[faq]]\nid = "x"\n[faq.questions]\nzh-Hant = ["有貓嗎"]\n[faq.answer]\nen = "no"\n',
        encoding="utf-8",
    )
    faqs, problems = read_faqs(path)
    assert faqs == [] and any("zh-Hant: unknown language" in p for p in problems)
    missing = tmp_path / "kb.xlsx"
    assert read_faqs(missing)[1] == [f"{missing}: no such file or folder"]


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_any_text_survives_toml_quoting(text: str) -> None:
    assert tomllib.loads(f"value = {quote(text)}")["value"] == text


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(min_size=1).filter(str.strip), min_size=1, max_size=4))
def test_any_phrasings_survive_csv_and_toml(questions: list[str]) -> None:
    original = Faq(id="p", questions={"en": tuple(q.strip() for q in questions)},
                   answers={"en": "a"})
    from_csv, problems = load_csv(dump_csv([original]))
    assert problems == [] and from_csv == [original]
    entries = tomllib.loads(dump_toml([original]))["faq"]
    assert entries[0]["questions"]["en"] == list(original.questions["en"])


def test_a_folder_export_keeps_each_faq_in_its_file(tmp_path: Path) -> None:
    kb = tmp_path / "kb"
    (kb / "faq").mkdir(parents=True)
    (kb / "faq" / "mine.toml").write_text(
        dump_toml([faq("a", "first question", tags=("shipping",))]), encoding="utf-8"
    )
    (kb / "faq" / "old.toml").write_text(dump_toml([faq("gone", "old")]), encoding="utf-8")
    written = write_faqs(kb, [faq("a", "changed", tags=("shipping",)), faq("b", "new one")])
    assert sorted(p.name for p in written) == ["mine.toml", "other.toml"]
    assert not (kb / "faq" / "old.toml").exists()
    back, problems = read_faqs(kb)
    assert problems == [] and [f.questions["en"] for f in back] == [("changed",), ("new one",)]


def test_the_documented_csv_example_imports() -> None:
    readme = (KNOWLEDGE_BASE / "README.md").read_text(
        encoding="utf-8"
    )
    block = readme.split("```csv\n", 1)[1].split("```", 1)[0]
    faqs, problems = load_csv(block, "README")
    assert problems == []
    shipping, order = faqs
    assert shipping.buttons[0].id == "faq:shipping-fee" and order.action == "orders.lookup"
