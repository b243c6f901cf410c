"""`pensionlink report` with the cases: the 工作台账 sheet (read back with openpyxl), the
death documents and the summary's flow — and, on a database without a `cases` table,
the same reports as before and no documents."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from typer.testing import CliRunner

from pensionlink.cli import app
from pensionlink.settings import Settings, load_policy
from pensionlink.vocabulary import MONEY
from pensionlink.warehouse.run_record import run_frame
from pensionlink.warehouse.store import connect_database, write_warehouse
from tests.pensionlink.reports.case_rows import MASKED, WHOLE_ID, case, cases, death
from tests.pensionlink.tiny_warehouse import coverage

runner = CliRunner()
NIGHTS = (dt.date(2026, 11, 27), dt.date(2026, 11, 28))
TOWNSHIP = "龙门街道"


def _publish(db: Path, as_of: dt.date, deaths: pl.DataFrame) -> str:
    settings = Settings(extracts=db.parent, db=db, as_of=as_of, policy=load_policy(as_of))
    started = dt.datetime.combine(as_of, dt.time(2))
    run = run_frame(settings, None, started, [], inputs=f"tiny-{as_of}")
    tables = {"coverage_by_area": coverage({TOWNSHIP: 10}), "deaths_to_deregister": deaths}
    with write_warehouse(db) as warehouse:
        warehouse.publish(run, tables)
    return run["run_id"][0]


DEATH_TYPES = {
    "death_date": pl.Date,
    "overpaid_months": pl.Int32,
    **dict.fromkeys(
        ("overpaid_amount", "funeral_subsidy", "account_balance", "net_to_heirs", "to_recover"),
        MONEY,
    ),
}
CASE_ONLY = ("case_id", "state", "notice_date", "objection_until", "nights_open")


def _deaths() -> pl.DataFrame:
    row = {k: v for k, v in death().items() if k not in CASE_ONLY}
    return pl.DataFrame([row]).cast(DEATH_TYPES)


def _warehouse(db: Path, with_cases: bool) -> tuple[str, str]:
    first = _publish(db, NIGHTS[0], _deaths())
    second = _publish(db, NIGHTS[1], _deaths())
    with connect_database(db, read_only=False) as con:
        con.execute("DROP TABLE IF EXISTS cases")
        if with_cases:
            frame = cases(
                case(case_id="D000123", opened_run=first, last_seen_run=second, nights_open=2),
                case(
                    case_id="U000001",
                    kind="uninsured",
                    state="to_contact",
                    name="李某",
                    citizen_id="22240519500101123X",
                    opened_run=second,
                    last_seen_run=second,
                    new_tonight=True,
                    next_step="入户走访动员参保（contacted）",
                ),
                case(
                    case_id="D000050",
                    state="closed",
                    close_reason="alive",
                    citizen_id="222405196001011234",
                    opened_run=first,
                    closed_run=second,
                ),
            ).with_columns(run_id=pl.lit(second))
            con.register("incoming", frame.to_arrow())
            con.execute("CREATE TABLE cases AS SELECT * FROM incoming")
    return first, second


@pytest.fixture
def db(tmp_path: Path, request) -> Path:
    path = tmp_path / "pensionlink.duckdb"
    _warehouse(path, with_cases=request.param)
    return path


def _report(db: Path, out: Path, *extra: str):
    result = runner.invoke(app, ["report", "--db", str(db), "--out", str(out), *extra])
    assert result.exit_code == 0, result.output
    return result


@pytest.mark.parametrize("db", [True], indirect=True)
def test_worklist_documents_and_flow(db: Path, tmp_path: Path):
    out = tmp_path / "out"
    result = _report(db, out)
    assert "death documents: 2 file(s)" in result.output
    book = openpyxl.load_workbook(out / f"{TOWNSHIP}_2026-11-28.xlsx")
    sheet = book["工作台账"]
    assert book.sheetnames[-1] == "工作台账"
    assert [c.value for c in sheet[1]] == [
        "村社区",
        "案件编号",
        "案件类别",
        "办理状态",
        "在办天数",
        "下一步",
        "本批新立案",
        "公民身份号码",
        "姓名",
    ]
    body = [[c.value for c in row] for row in sheet.iter_rows(min_row=2, max_row=3)]
    assert [r[1] for r in body] == ["D000123", "U000001"]  # oldest first; closed D000050 out
    assert body[0][2:5] == ["死亡注销", "已核实死亡，待告知", 2]
    assert body[1][6] == "新" and body[1][7] == "222405********123X"
    cells = [str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None]
    assert not any(WHOLE_ID in c for c in cells) and MASKED in cells

    notice = out / f"{TOWNSHIP}_死亡待遇结算告知书_2026-11-28.pdf"
    sheet_pdf = out / f"{TOWNSHIP}_死亡待遇结算单_2026-11-28.pdf"
    assert notice.read_bytes().startswith(b"%PDF") and sheet_pdf.is_file()
    summary = (out / "汇总_2026-11-28.html").read_text(encoding="utf-8")
    assert 'id="case-flow"' in summary and "八、案件办理进度" in summary
    assert WHOLE_ID not in summary


@pytest.mark.parametrize("db", [True], indirect=True)
def test_no_documents_when_asked(db: Path, tmp_path: Path):
    out = tmp_path / "out"
    _report(db, out, "--no-documents")
    assert not list(out.glob("*死亡待遇*"))
    assert "工作台账" in openpyxl.load_workbook(out / f"{TOWNSHIP}_2026-11-28.xlsx").sheetnames


@pytest.mark.parametrize("db", [False], indirect=True)
def test_a_database_without_cases_reports_as_before(db: Path, tmp_path: Path):
    out = tmp_path / "out"
    result = _report(db, out)
    assert "death documents" not in result.output
    assert not list(out.glob("*死亡待遇*"))
    assert "工作台账" not in openpyxl.load_workbook(out / f"{TOWNSHIP}_2026-11-28.xlsx").sheetnames
    assert 'id="case-flow"' not in (out / "汇总_2026-11-28.html").read_text(encoding="utf-8")
