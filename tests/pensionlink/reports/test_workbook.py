"""The township spreadsheets, read back cell by cell against the database."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from pensionlink.connectors.citizen_id import mask_one
from pensionlink.flows.nightly import reports_dir, run_night
from typer.testing import CliRunner

from pensionlink.cli import app
from pensionlink.reports import UnknownTownship, load_report_data, write_reports
from pensionlink.reports.workbook import ADVANCE_SHEET, CLAIM_SHEET, SHEETS, WORKLIST_SHEET
from pensionlink.settings import Settings, load_policy
from pensionlink.warehouse.store import connect_database, open_warehouse

AS_OF = dt.date(2026, 11, 28)
WHOLE_ID = re.compile(r"\d{17}[\dXx]")
MASKED_ID = re.compile(r"^\d{6}\*{8}[\dX]{4}$")
# sheet → (table, its money/count columns summed in the 合计 row)
TOTALS = {
    "待注销人员": (
        "deaths_to_deregister",
        ["overpaid_months", "overpaid_amount", "funeral_subsidy", "net_to_heirs", "to_recover"],
    ),
    "应保未保人员": ("uninsured_eligible", ["advance_amount"]),
    "丧葬补助金核查": ("duplicate_funeral_benefits", ["amount_to_recover"]),
    "覆盖率": ("coverage_by_area", ["residents_16_plus", "insured", "uninsured_eligible"]),
}


@pytest.fixture(scope="module")
def published(sample_night: Path, tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("wh") / "pensionlink.duckdb"
    run_night(Settings(extracts=sample_night, db=db, as_of=AS_OF, policy=load_policy(AS_OF)))
    return db


def db_rows(db: Path, query: str, params: list | None = None) -> list[tuple]:
    with connect_database(db) as con:
        return con.execute(query, params or []).fetchall()


def busiest_township(db: Path) -> str:
    return db_rows(
        db,
        "SELECT township FROM deaths_to_deregister GROUP BY township ORDER BY count(*) DESC, 1",
    )[0][0]


def header(sheet) -> list[str]:
    return [c.value for c in sheet[1]]


def column_of(sheet, title: str) -> int:
    return header(sheet).index(title) + 1


def totals_row(sheet) -> int:
    for row in range(sheet.max_row, 0, -1):
        value = sheet.cell(row, 1).value
        if isinstance(value, str) and value.startswith("合计"):
            return row
    raise AssertionError(f"no 合计 row in {sheet.title}")


def test_the_night_writes_one_workbook_per_township_and_the_summary(published: Path):
    folder = reports_dir(published) / "2026-11-28"
    townships = {t for (t,) in db_rows(published, "SELECT DISTINCT township FROM coverage_by_area")}
    assert {p.name for p in folder.glob("*.xlsx")} == {f"{t}_2026-11-28.xlsx" for t in townships}
    assert (folder / "汇总_2026-11-28.html").is_file()


def test_sheets_headers_layout_and_masked_ids(published: Path, tmp_path: Path):
    township = busiest_township(published)
    with open_warehouse(published, read_only=True) as warehouse:
        files = write_reports(load_report_data(warehouse), tmp_path, township)
    assert files.summary is None and [p.name for p in files.workbooks] == [
        f"{township}_2026-11-28.xlsx"
    ]
    book = openpyxl.load_workbook(files.workbooks[0])
    # the night has cases (issue 16): the claims, the advance ledger (issue 17) and the
    # township's 工作台账 follow the finding sheets
    assert book.sheetnames == [*SHEETS, CLAIM_SHEET, ADVANCE_SHEET, WORKLIST_SHEET]
    for name, columns in SHEETS.items():
        sheet = book[name]
        assert header(sheet) == [c.header for c in columns]
        assert sheet.freeze_panes == "A2"
        assert sheet.auto_filter.ref and sheet.auto_filter.ref.startswith("A1:")
        assert all(sheet.column_dimensions[letter].width >= 6 for letter in "ABC")
        for row in sheet.iter_rows(values_only=True):
            assert not any(isinstance(v, str) and WHOLE_ID.search(v) for v in row)
    # a masked ID on the deaths sheet is the database's ID masked, with the same name
    sheet = book["待注销人员"]
    masked = sheet.cell(2, column_of(sheet, "公民身份号码")).value
    name = sheet.cell(2, column_of(sheet, "姓名")).value
    assert MASKED_ID.match(masked)
    ids = db_rows(
        published,
        "SELECT citizen_id FROM deaths_to_deregister WHERE township = ? AND name = ?",
        [township, name],
    )
    assert masked in {mask_one(i) for (i,) in ids}


def test_totals_equal_the_database(published: Path, tmp_path: Path):
    township = busiest_township(published)
    with open_warehouse(published, read_only=True) as warehouse:
        files = write_reports(load_report_data(warehouse), tmp_path, township)
    book = openpyxl.load_workbook(files.workbooks[0])
    columns = {name: {c.key: c.header for c in cols} for name, cols in SHEETS.items()}
    for name, (table, summed) in TOTALS.items():
        sheet = book[name]
        row = totals_row(sheet)
        (count,) = db_rows(
            published, f"SELECT count(*) FROM {table} WHERE township = ?", [township]
        )[0]
        assert sheet.cell(row, 1).value == f"合计（{count} 条）"
        assert row == count + 3  # header, the rows, one empty row
        for key in summed:
            (expected,) = db_rows(
                published,
                f"SELECT coalesce(sum({key}), 0) FROM {table} WHERE township = ?",
                [township],
            )[0]
            got = sheet.cell(row, column_of(sheet, columns[name][key])).value
            assert Decimal(str(got)).quantize(Decimal("0.01")) == Decimal(expected), (name, key)
    sheet = book["覆盖率"]
    (rate,) = db_rows(
        published,
        "SELECT round(sum(insured) / sum(residents_16_plus), 4) FROM coverage_by_area "
        "WHERE township = ?",
        [township],
    )[0]
    assert sheet.cell(totals_row(sheet), column_of(sheet, "参保率")).value == pytest.approx(rate)


def test_codes_are_shown_in_the_staffs_words(published: Path, tmp_path: Path):
    with open_warehouse(published, read_only=True) as warehouse:
        files = write_reports(load_report_data(warehouse), tmp_path)
    seen: dict[str, set] = {"处理意见": set(), "类别": set(), "问题类型": set()}
    for path in files.workbooks:
        book = openpyxl.load_workbook(path)
        for sheet_name, title in (
            ("待注销人员", "处理意见"),
            ("应保未保人员", "类别"),
            ("丧葬补助金核查", "问题类型"),
        ):
            sheet = book[sheet_name]
            col = column_of(sheet, title)
            seen[title] |= {sheet.cell(r, col).value for r in range(2, totals_row(sheet) - 1)}
    assert seen["处理意见"] <= {"确认注销", "人工核实"} and seen["处理意见"]
    assert seen["类别"] <= {"政府代缴", "补缴（垫付）", "普通参保"} and seen["类别"]
    assert seen["问题类型"] and not any(
        v.startswith(("duplicate", "ineligible")) for v in seen["问题类型"]
    )


def test_unknown_township_is_refused(published: Path, tmp_path: Path):
    with (
        open_warehouse(published, read_only=True) as warehouse,
        pytest.raises(UnknownTownship, match="火星镇"),
    ):
        write_reports(load_report_data(warehouse), tmp_path, "火星镇")


def test_report_command(published: Path, tmp_path: Path):
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["report", "--db", str(published), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "汇总" in result.output and (out / "汇总_2026-11-28.html").is_file()
    missing = CliRunner().invoke(app, ["report", "--db", str(tmp_path / "no.duckdb"), "--out", "x"])
    assert missing.exit_code == 2 and "no such database" in missing.output
    unknown = CliRunner().invoke(
        app, ["report", "--db", str(published), "--out", str(out), "--township", "火星镇"]
    )
    assert unknown.exit_code == 2 and "火星镇" in unknown.output
