"""`brandbot orders import`: good rows kept, bad rows reported, re-import idempotent."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.cli import main
from bot.core.errors import OrderError
from bot.core.language import detect_language
from bot.core.order import STATUSES, mask_phone, order_from_record
from bot.orders.importer import import_orders
from bot.orders.service import factor_matches
from bot.store import open_store
from tests.helpers.paths import ROOT

CSV = """number,status,items,amount,phone,email,province,city,address
CL2611230001,paid,Longjing 100g x2; Gaiwan,199.5,13800001111,,浙江省,杭州市,龙井路 1 号
CL2611230002,lost,Longjing 100g,199,13800001111,,,,
CL2611230003,paid,,199,13800001111,,,,
CL2611230004,paid,Cup,abc,13800001111,,,,
CL2611230005,paid,Cup,10,,,,,
CL2611230006,shipped,Cup,10,,ann@example.com,,Shanghai,
"""


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        f'[store]\npath = "{tmp_path / "orders.db"}"\n'
        f'[knowledge_base]\npath = "{ROOT / "knowledge_base"}"\n'
        '[orders]\nsamples = ""\n',
        encoding="utf-8",
    )
    return path


def run(config_file: Path, file: Path) -> int:
    return main(["orders", "import", str(file), "--config", str(config_file)])


def test_bad_rows_are_reported_and_good_rows_kept(
    config_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = tmp_path / "orders.csv"
    file.write_text(CSV, encoding="utf-8")
    assert run(config_file, file) == 1
    out = capsys.readouterr().out
    assert "rejected row 3 (CL2611230002): status 'lost' must be one of" in out
    assert "rejected row 4 (CL2611230003): items must list at least one item" in out
    assert "rejected row 5 (CL2611230004): amount 'abc' is not a number" in out
    assert "rejected row 6 (CL2611230005): phone or email is required" in out
    assert "2 accepted (2 new, 0 updated, 0 unchanged), 4 rejected" in out
    store = open_store(tmp_path / "orders.db")
    order = store.orders.get("CL2611230001")
    assert order is not None and [item.quantity for item in order.items] == [2, 1]
    assert str(order.amount) == "199.50" and store.orders.count() == 2
    store.close()
    assert run(config_file, file) == 1
    assert "2 accepted (0 new, 0 updated, 2 unchanged)" in capsys.readouterr().out
    file.write_text(CSV.replace("199.5,", "189.5,"), encoding="utf-8")
    run(config_file, file)
    assert "2 accepted (0 new, 1 updated, 1 unchanged)" in capsys.readouterr().out


def test_json_import_with_progress(
    config_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    orders = [
        {"number": f"CL26112{index:05d}", "status": "paid", "amount": 10,
         "items": [{"name": "Cup", "quantity": 1}], "phone": "13800001111"}
        for index in range(1200)
    ]
    file = tmp_path / "orders.json"
    file.write_text(json.dumps({"orders": orders}), encoding="utf-8")
    assert run(config_file, file) == 0
    captured = capsys.readouterr()
    assert "1200 accepted (1200 new" in captured.out
    assert "500/1200 rows" in captured.err and "1200/1200 rows" in captured.err


def test_an_unusable_file_imports_nothing(
    config_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = tmp_path / "orders.csv"
    file.write_text("number,status,colour\nCL2611230001,paid,red\n", encoding="utf-8")
    assert run(config_file, file) == 2
    err = capsys.readouterr().err
    assert "orders.csv row 1: unknown column 'colour'" in err
    assert "orders.csv row 1: missing column(s) items, amount" in err
    (tmp_path / "orders.txt").write_text("x", encoding="utf-8")
    assert run(config_file, tmp_path / "orders.txt") == 2


EXCEL_CSV = (  # Excel in a locale with a decimal comma: ";", a BOM, CRLF, breaks inside cells
    "number;status;items;amount;phone;province;city;address\r\n"
    'CL2611230001;paid;"Longjing 100g x2\nGaiwan";199,5;13800001111;浙江省;杭州市;'
    '"龙井路 1 号\n3 幢 501"\r\n'
    "CL2611230002;paid;Cup;10;13800001111;;;\r\n"
    "CL2611230003;lost;Cup;10;13800001111;;;\r\n"
    ";;;;;;;\r\n"
    "CL2611230004;paid;Cup;10;'+86 138 0000 1111;;;\r\n"
)


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16"])
def test_a_spreadsheet_saved_by_excel_keeps_line_breaks_inside_cells(
    config_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], encoding: str
) -> None:
    file = tmp_path / "orders.csv"
    file.write_bytes(EXCEL_CSV.encode(encoding))
    assert run(config_file, file) == 1
    out = capsys.readouterr().out
    # Row 4 as the spreadsheet shows it, though it is line 5 of the file.
    assert "rejected row 4 (CL2611230003): status 'lost' must be one of" in out
    assert "3 accepted (3 new, 0 updated, 0 unchanged), 1 rejected" in out
    store = open_store(tmp_path / "orders.db")
    order = store.orders.get("CL2611230001")
    assert order is not None and order.address == "龙井路 1 号\n3 幢 501"
    assert str(order.amount) == "199.50"  # the decimal comma of the sheet's locale
    assert [(item.name, item.quantity) for item in order.items] == [
        ("Longjing 100g", 2), ("Gaiwan", 1)
    ]
    guarded = store.orders.get("CL2611230004")  # the apostrophe Excel users type is taken off
    assert guarded is not None and guarded.phone == "+86 138 0000 1111"
    store.close()


def test_progress_counts_rows_not_lines(tmp_path: Path) -> None:
    file = tmp_path / "orders.csv"
    file.write_text(EXCEL_CSV, encoding="utf-8")
    store = open_store(tmp_path / "orders.db")
    seen: list[tuple[int, int]] = []
    report = import_orders(file, store, datetime(2026, 11, 23, tzinfo=UTC),
                           lambda done, total: seen.append((done, total)))
    store.close()
    assert report.accepted == 3 and seen == [(4, 4)]


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b'number,status,items,amount,phone\nCL2611230001,paid,Cup,1,13800001111\n'
         b'CL2611230002,paid,"Cup,1,13800001111\nCL2611230003,paid,Cup,1,13800001111\n',
         "orders.csv row 3: a quoted cell is never closed"),
        ("number,status,items,amount,phone\nCL2611230001,paid,杯子,1,13800001111\n".encode(
            "gb18030"), "orders.csv line 2: the file is not UTF-8 text"),
        (b"", "orders.csv: the file is empty"),
        (b"CL2611230001,paid,Cup,1,13800001111\n", "orders.csv row 1: no column names"),
    ],
)
def test_a_file_that_cannot_be_read_whole_imports_nothing(
    config_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], data: bytes,
    problem: str,
) -> None:
    file = tmp_path / "orders.csv"
    file.write_bytes(data)
    assert run(config_file, file) == 2
    assert problem in capsys.readouterr().err
    store = open_store(tmp_path / "orders.db")
    assert store.orders.count() == 0
    store.close()


def test_a_row_the_spreadsheet_spoilt_is_rejected_with_its_row(
    config_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = tmp_path / "orders.csv"
    file.write_text(
        "number;status;items;amount;phone\n"
        "CL2611230001;paid;Cup;1;13800001111\n"
        "CL2611230002;paid;Cup;#VALUE!;13800001111\n"
        "CL2611230003;paid;Cup;1;13800001111;extra\n"
        "CL2611230004;paid;Cup;1;13800001111\n",
        encoding="utf-8",
    )
    assert run(config_file, file) == 1
    out = capsys.readouterr().out
    assert "rejected row 3: amount is #VALUE!, a spreadsheet formula error" in out
    assert "rejected row 4: 6 cells but 5 named columns" in out
    assert "2 accepted (2 new, 0 updated, 0 unchanged), 2 rejected" in out


@pytest.mark.parametrize(
    ("amount", "value"), [("199,5", "199.50"), ("¥1299,00", "1299.00"), ("12.5", "12.50")]
)
def test_an_amount_may_have_a_decimal_comma(amount: str, value: str) -> None:
    record = {"number": "CL2611230001", "status": "paid", "items": "Cup", "phone": "13800001111"}
    assert str(order_from_record({**record, "amount": amount}).amount) == value


@pytest.mark.parametrize("amount", ["1,234", "1.234,5", "1,2,3"])
def test_a_comma_that_may_group_thousands_is_not_guessed(amount: str) -> None:
    record = {"number": "CL2611230001", "status": "paid", "items": "Cup", "phone": "13800001111"}
    with pytest.raises(OrderError, match="is not a number"):
        order_from_record({**record, "amount": amount})


def test_masking_and_second_factors() -> None:
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("+86 138 1234 5678") == "138****5678"
    order = order_from_record(
        {"number": "CL2611230001", "status": "paid", "items": "Cup", "amount": "1",
         "phone": "13812345678", "email": "Ann@Example.com"}
    )
    assert factor_matches(order, "5678") == "phone-last4"
    assert factor_matches(order, "ann@example.com") == "email"
    assert factor_matches(order, "8613812345678") == "phone"
    assert factor_matches(order, "1234") is None
    assert factor_matches(order, "bob@example.com") is None


def test_codes_do_not_change_the_language() -> None:
    assert detect_language("CL2611180001", "zh-Hans") == "zh-Hans"
    assert detect_language("/order", "zh-Hans") == "zh-Hans"
    assert detect_language("ann@example.com", "zh-Hans") == "zh-Hans"
    assert detect_language("where is CL2611180001", "zh-Hans") == "en"


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(
    st.sampled_from(["number", "status", "items", "amount", "phone", "email", "expected_on"]),
    st.one_of(st.text(max_size=20), st.integers(), st.none(), st.lists(st.text(max_size=5))),
))
def test_any_record_is_an_order_or_an_order_error(record: dict[str, object]) -> None:
    try:
        order = order_from_record(record)
    except OrderError:
        return
    assert order.status in STATUSES and order.items and (order.phone or order.email)
