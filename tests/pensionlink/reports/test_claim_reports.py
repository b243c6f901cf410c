"""`pensionlink report` with funeral subsidy claims and an advance: the township's
丧葬补助金申领 and 垫付台账 sheets (read back with openpyxl), the 发放审批表 and 申领汇总表
PDFs, and the summary's claims by step and advance fund — and the note when the advance
rule has ended."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import openpyxl
import polars as pl
from typer.testing import CliRunner

from pensionlink.cli import app
from pensionlink.reports.case_data import EVENT_COLUMNS
from pensionlink.warehouse.store import connect_database
from tests.pensionlink.reports.case_rows import MASKED, WHOLE_ID, case, cases
from tests.pensionlink.reports.test_case_report_command import NIGHTS, TOWNSHIP, _deaths, _publish
from tests.pensionlink.reports.test_subsidy_forms import event

D = dt.date


EVENTS = [
    event(
        "S000001",
        D(2026, 11, 1),
        "金村干",
        "clerk",
        "apply",
        "申请人 金明哲（儿子）；材料 死亡证明",
    ),
    event("S000001", D(2026, 11, 2), "金村干", "clerk", "village_check"),
    event("S000001", D(2026, 11, 3), "李乡镇", "township", "township_check"),
    event("S000001", D(2026, 11, 4), "崔科长", "supervisor", "city_approve"),
    event("S000001", D(2026, 11, 5), "朴会计", "finance", "pay", "发放", "74.67", "account"),
    event("A000001", D(2021, 7, 1), "金经办", "clerk", "opened", amount="1000.00"),
    event("A000001", D(2021, 7, 5), "朴会计", "finance", "advance_paid", amount="1000.00"),
    *[
        event("A000001", D(2022, 3, 31), "system", "system", "month_withheld", None, "103.79", m)
        for m in ("2021-08", "2021-09", "2021-10")
    ],
    event(
        "A000001",
        D(2022, 3, 31),
        "system",
        "system",
        "month_paid_in_full",
        None,
        "103.79",
        "2021-12",
    ),
    event("A000001", D(2022, 4, 2), "朴会计", "finance", "repay", "提前还款", "100.00"),
]


def _warehouse(db: Path, advance_note: str | None) -> None:
    _publish(db, NIGHTS[0], _deaths())
    second = _publish(db, NIGHTS[1], _deaths())
    frame = cases(
        case(
            case_id="S000001",
            kind="subsidy",
            state="paid",
            amount_due=Decimal("600.00"),
            outcome="eligible",
            opened_run=second,
        ),
        case(
            case_id="S000002",
            kind="subsidy",
            state="to_apply",
            citizen_id="222405196001011234",
            amount_due=Decimal("600.00"),
            outcome="not_receiving",
            opened_run=second,
        ),
        case(
            case_id="A000001",
            kind="advance",
            state="repaying",
            name="朴老汉",
            citizen_id="22240519500101123X",
            amount_due=Decimal("1000.00"),
            amount_recovered=Decimal("411.37"),
            balance=Decimal("588.63"),
            balance_since=D(2021, 7, 5),
            months_repaid=3,
            months_left=6,
            months_flagged=1,
            flagged_months="2021-12",
            opened_run=second,
        ),
    ).with_columns(run_id=pl.lit(second))
    events = pl.DataFrame(EVENTS, schema=EVENT_COLUMNS).with_columns(run_id=pl.lit(second))
    uninsured = pl.DataFrame(
        {
            "citizen_id": ["222405194001011234"],
            "township": [TOWNSHIP],
            "village": ["龙山村"],
            "category": ["back_payment"],
            "advance_note": [advance_note],
            "run_id": [second],
        }
    )
    with connect_database(db, read_only=False) as con:
        for table, rows in (
            ("cases", frame),
            ("case_events", events),
            ("uninsured_eligible", uninsured),
        ):
            con.register("incoming", rows.to_arrow())
            con.execute(f"DELETE FROM {table}")
            con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM incoming")
            con.unregister("incoming")


def _report(db: Path, out: Path) -> str:
    result = CliRunner().invoke(app, ["report", "--db", str(db), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return result.output


def _sheet(book, name: str) -> list[list]:
    return [[c.value for c in row] for row in book[name].iter_rows()]


def test_the_claims_and_the_advance_in_the_workbook_forms_and_summary(tmp_path: Path):
    db = tmp_path / "pensionlink.duckdb"
    _warehouse(db, advance_note="垫付政策不在执行期")
    out = tmp_path / "out"
    _report(db, out)
    book = openpyxl.load_workbook(out / f"{TOWNSHIP}_2026-11-28.xlsx")
    assert book.sheetnames[-3:] == ["丧葬补助金申领", "垫付台账", "工作台账"]
    claims = _sheet(book, "丧葬补助金申领")
    assert claims[0][:5] == ["村社区", "案件编号", "逝者姓名", "公民身份号码", "死亡日期"]
    paid = dict(zip(claims[0], claims[1], strict=True))
    assert paid["案件编号"] == "S000001" and paid["公民身份号码"] == MASKED
    assert (paid["申请人"], paid["与逝者关系"], paid["所交材料"]) == ("金明哲", "儿子", "死亡证明")
    assert paid["死亡日期"] == dt.datetime(2026, 8, 14)  # from the death's night
    assert (paid["补助金（元）"], paid["抵扣多发待遇（元）"], paid["实发（元）"]) == (
        600,
        525.33,
        74.67,
    )
    assert paid["发放至"] == "逝者本人养老金发放银行账户"
    assert claims[2][1] == "S000002" and claims[2][9] == "待申领丧葬补助金"
    ledger = _sheet(book, "垫付台账")
    row = dict(zip(ledger[0], ledger[1], strict=True))
    assert row["案件编号"] == "A000001" and row["办理状态"] == "垫付已拨付，按月扣回中"
    assert (row["垫付金额（元）"], row["按月扣回（元）"], row["提前还款（元）"]) == (
        1000,
        311.37,
        100,
    )
    assert (row["垫付余额（元）"], row["已扣回月数"], row["尚需扣回月数"]) == (588.63, 3, 6)
    assert row["异常月份"] == "2021-12" and row["申请日期"] == dt.datetime(2021, 7, 1)
    cells = [str(c) for r in claims + ledger for c in r if c is not None]
    assert not any(WHOLE_ID in c for c in cells)

    form = out / f"{TOWNSHIP}_丧葬补助金发放审批表_2026-11-28.pdf"
    summary_pdf = out / f"{TOWNSHIP}_丧葬补助金申领汇总表_2026-11-28.pdf"
    assert form.read_bytes().startswith(b"%PDF") and summary_pdf.read_bytes().startswith(b"%PDF")

    summary = (out / "汇总_2026-11-28.html").read_text(encoding="utf-8")
    assert 'id="subsidy-claims"' in summary and 'id="advance-fund"' in summary
    assert "已发放，待归档" in summary and "1,000.00" in summary and "411.37" in summary
    assert "暂定执行至 2021年12月31日" in summary and "1 名补缴人员无垫付金额" in summary
    assert WHOLE_ID not in summary and "金明哲" not in summary  # aggregates only


def test_no_ended_note_while_the_advance_is_in_force(tmp_path: Path):
    db = tmp_path / "pensionlink.duckdb"
    _warehouse(db, advance_note=None)
    out = tmp_path / "out"
    _report(db, out)
    summary = (out / "汇总_2026-11-28.html").read_text(encoding="utf-8")
    assert 'id="advance-fund"' in summary and "暂定执行至" not in summary
