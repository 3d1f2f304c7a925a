"""CSV for spreadsheets: no cell becomes a formula; what Excel or LibreOffice saved reads back."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.spreadsheet import (
    ERROR_VALUES,
    FORMULA_STARTS,
    decode,
    dump_rows,
    guard_cell,
    read_sheet,
    unguard_cell,
)

COLUMNS = ("faq_id", "kind", "language", "text", "target")
REQUIRED = COLUMNS[:4]
# Texts a customer or a staff member could write, spreadsheet-hostile ones often.
texts = st.text(
    st.sampled_from(["=", "+", "-", "@", "\t", "\r", "\n", "'", '"', ",", ";", " ", "a", "发"])
    | st.characters(codec="utf-8"),
    max_size=12,
)


def cells(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def read(text: str) -> tuple[list[tuple[int, dict[str, str]]], list[str]]:
    sheet = read_sheet(text, "kb.csv", COLUMNS, REQUIRED)
    return sheet.rows, sheet.problems


@pytest.mark.parametrize(
    ("text", "cell"),
    [
        ('=HYPERLINK("http://x.example","refund")', '\'=HYPERLINK("http://x.example","refund")'),
        ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
        ("+86 400 123 4567", "'+86 400 123 4567"),
        ("- Sizes run small", "'- Sizes run small"),
        ("@SUM(1+1)", "'@SUM(1+1)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("'=1+1", "''=1+1"),  # an apostrophe already there gets one more: exact undo
        ("''-", "'''-"),
        ("'quoted'", "'quoted'"),
        ("a-b = c", "a-b = c"),
        ("多久发货", "多久发货"),
        ("", ""),
    ],
)
def test_a_cell_that_would_be_a_formula_gets_an_apostrophe(text: str, cell: str) -> None:
    assert guard_cell(text) == cell
    assert unguard_cell(cell) == text


@given(texts)
def test_no_guarded_cell_starts_a_formula_and_unguarding_undoes_it(text: str) -> None:
    cell = guard_cell(text)
    assert not cell.startswith(FORMULA_STARTS)
    assert unguard_cell(cell) == text


@given(st.lists(texts.map(str.strip).filter(lambda text: text not in ERROR_VALUES), max_size=5))
def test_written_rows_read_back_as_they_were(texts: list[str]) -> None:
    header = ("faq_id", "kind", "language", "text")
    written = dump_rows(header, [("x", "question", "en", text) for text in texts])
    assert all(not cell.startswith(FORMULA_STARTS) for row in cells(written) for cell in row)
    rows, problems = read(written)
    assert problems == []
    assert [row["text"] for _, row in rows] == texts
    assert [number for number, _ in rows] == list(range(2, len(texts) + 2))


def test_excel_semicolon_file_with_bom_crlf_and_a_line_break_in_a_cell() -> None:
    text = (
        "\ufefffaq_id;kind;language;text;target\r\n"
        "hours;question;en;When are you open?;\r\n"
        'hours;answer;en;"Mon–Fri 9–18;\r\nweekends 10–16";\r\n'
        ";;;;\r\n"
        "\r\n"
        "hours;tag;;shop;\r\n"
        ";;;;\r\n"
        ";;;;\r\n"
    )
    rows, problems = read(text)
    assert problems == []
    assert [number for number, _ in rows] == [2, 3, 6]
    assert rows[1][1]["text"] == "Mon–Fri 9–18;\r\nweekends 10–16"
    assert rows[2][1] == {"faq_id": "hours", "kind": "tag", "language": "", "text": "shop",
                          "target": ""}


@pytest.mark.parametrize(
    ("text", "cell"),
    [
        ("sep=;\r\nfaq_id;kind;language;text\r\nhours;tag;;a,b\r\n", "a,b"),  # Excel's hint
        ("sep=\t\nfaq_id\tkind\tlanguage\ttext\nhours\ttag\t\ta;b\n", "a;b"),
        ("faq_id\tkind\tlanguage\ttext\nhours\ttag\t\ta,b;c\n", "a,b;c"),  # "Unicode text"
        ("Faq_ID , Kind,LANGUAGE,text\nhours,tag,,\"a;b\"\n", "a;b"),  # names as people type
    ],
)
def test_the_delimiter_and_the_column_names_are_found(text: str, cell: str) -> None:
    rows, problems = read(text)
    assert problems == []
    assert rows == [(2, {"faq_id": "hours", "kind": "tag", "language": "", "text": cell})]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "kb.csv: the file is empty"),
        ("faq_id,kind,text\nx,tag,a\n",
         "kb.csv row 1: missing column(s) language: row 1 must name the columns"),
        ("x,question,en,hello\n", "kb.csv row 1: no column names; row 1 must name the columns"),
        ("faq_id,kind,language,text,notes\nx,tag,,a,mine\n",
         "kb.csv row 1: unknown column 'notes': remove or rename it"),
        ("faq_id,kind,language,text,text\nx,tag,,a,b\n",
         "kb.csv row 1: column 'text' appears 2 times"),
        ("faq_id,kind,language,text\nx,tag,,a\nx,answer,en,Yes, we do,\n",
         "kb.csv row 3: 6 cells but 4 named columns (a delimiter inside an unquoted cell?"),
        ("faq_id,kind,language,text,\nx,tag,,a,\nx,tag,,b,stray\n",
         "kb.csv row 3: 5 cells but 4 named columns"),
        ("faq_id,kind,language,text\nx,tag,,a\nx,answer,en,#NAME?\n",
         "kb.csv row 3: text is #NAME?, a spreadsheet formula error; type the text again"),
        ("faq_id,kind,language,text\nx,answer,en,Err:508\n", "kb.csv row 2: text is Err:508"),
        ('faq_id,kind,language,text\nx,tag,,a\nx,answer,en,"never closed\ny,tag,,b\n',
         "kb.csv row 3: a quoted cell is never closed"),
        ('faq_id,kind,language,text\nx,answer,en,"quoted" then more\n',
         "kb.csv row 2: text after the closing quote of a cell"),
        ('faq_id;kind;language;text\nx;answer;en;"quoted" then more\n',
         "kb.csv row 2: text after the closing quote of a cell"),
        ('"faq_id,kind,language,text\nx,answer,en,hello\n',
         "kb.csv row 1: a quoted cell is never closed"),
    ],
)
def test_each_bad_file_gets_a_report_line_with_its_row(text: str, problem: str) -> None:
    _, problems = read(text)
    assert len(problems) == 1 and problems[0].startswith(problem), problems


def test_trailing_empty_columns_excel_left_are_ignored() -> None:
    rows, problems = read("faq_id,kind,language,text,,,\r\nx,tag,,a,,,\r\n,,,,,,\r\n")
    assert problems == [] and rows == [(2, {"faq_id": "x", "kind": "tag", "language": "",
                                            "text": "a"})]


def test_utf8_with_or_without_bom_and_utf16_are_decoded() -> None:
    text = "faq_id,kind,language,text\r\nx,question,zh-Hans,多久发货\r\n"
    assert decode(text.encode("utf-8"), "kb.csv") == (text, [])
    assert decode(text.encode("utf-8-sig"), "kb.csv") == (text, [])
    assert decode(text.encode("utf-16"), "kb.csv") == (text, [])


def test_a_file_saved_in_a_legacy_encoding_is_refused_with_its_line() -> None:
    data = "faq_id,kind,language,text\r\nx,tag,,a\r\nx,question,zh-Hans,多久发货\r\n".encode(
        "gb18030"
    )
    text, problems = decode(data, "kb.csv")
    assert text == ""
    assert problems == [
        'kb.csv line 3: the file is not UTF-8 text; save it as "CSV UTF-8" in Excel, or with'
        " the Unicode (UTF-8) character set in LibreOffice"
    ]


def test_unusable_rows_are_listed_apart_and_the_rest_is_read() -> None:
    sheet = read_sheet(
        "faq_id,kind,language,text\nx,tag,,a\nx,answer,en,#REF!\nx,tag,,b,c\nx,tag,,d\n",
        "kb.csv", COLUMNS, REQUIRED,
    )
    assert sheet.complete
    assert [number for number, _ in sheet.rows] == [2, 5]
    assert [number for number, _ in sheet.rejected] == [3, 4]
    assert sheet.rejected[0][1].startswith("text is #REF!, a spreadsheet formula error")
    assert sheet.problems == [f"kb.csv row {number}: {why}" for number, why in sheet.rejected]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "faq_id,kind,text\nx,tag,a\n",
        'faq_id,kind,language,text\nx,tag,,a\nx,answer,en,"never closed\ny,tag,,b\n',
    ],
)
def test_a_file_not_read_whole_says_so(text: str) -> None:
    sheet = read_sheet(text, "kb.csv", COLUMNS, REQUIRED)
    assert not sheet.complete and sheet.problems and not sheet.rejected


def test_extra_columns_can_be_read_along() -> None:
    text = "text;faq_id;notes\nwhere is it;order-status;from chat 12\n"
    assert read_sheet(text, "eval.csv", ("text", "faq_id"), ("text", "faq_id")).problems == [
        "eval.csv row 1: unknown column 'notes': remove or rename it (columns: text, faq_id)"
    ]
    sheet = read_sheet(text, "eval.csv", ("text", "faq_id"), ("text", "faq_id"),
                       extra_columns=True)
    assert sheet.problems == [] and sheet.rows == [
        (2, {"text": "where is it", "faq_id": "order-status", "notes": "from chat 12"})
    ]
