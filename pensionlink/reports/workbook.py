"""One spreadsheet per township (乡镇核查表) for the staff who act on the findings.

Five sheets — 待注销人员, 应保未保人员, 丧葬补助金核查, 覆盖率, 数据不一致 — and, in a database
with cases, the funeral subsidy claims (丧葬补助金申领, `subsidy_forms.claim_rows`), the
advance ledger (垫付台账, `advance_ledger.advance_rows`) and the 工作台账 of open cases
(`worklist_sheet`) — each a plain
table with Chinese headers, the header row frozen, filters on, widths set to the content,
money as numbers with two decimals and a 合计 row below the table (after one empty row,
so sorting and filtering never move it). IDs arrive masked (前6后4) from `ReportData`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import polars as pl
import xlsxwriter

from pensionlink.findings.coverage import coverage_rate
from pensionlink.reports.advance_ledger import advance_rows
from pensionlink.reports.data import ReportData
from pensionlink.reports.labels import (
    CATEGORY,
    DECISION,
    DISAGREEMENT_KIND,
    EVIDENCE,
    FUNERAL_DECISION,
    FUNERAL_KIND,
    SCHEME,
)
from pensionlink.reports.sheet_rows import TableSheet, display_width, rows_fit, rows_xml
from pensionlink.reports.subsidy_forms import claim_rows
from pensionlink.reports.worklist_sheet import worklist_rows

__all__ = [
    "ADVANCE_SHEET",
    "CLAIM_SHEET",
    "SHEETS",
    "WORKLIST_COLUMNS",
    "WORKLIST_SHEET",
    "write_township_workbook",
]


@dataclass(frozen=True)
class Column:
    """One spreadsheet column: the frame column, its Chinese header, how to show it."""

    key: str
    header: str
    kind: str = "text"  # text | int | money | date | rate
    total: bool = False  # summed in the 合计 row


DEATH_COLUMNS = (
    Column("village", "村社区"),
    Column("name", "姓名"),
    Column("citizen_id", "公民身份号码"),
    Column("pension_no", "个人编号"),
    Column("roster_status", "当前参保状态"),
    Column("death_date", "死亡日期", "date"),
    Column("evidence_text", "死亡信息来源"),
    Column("decision_text", "处理意见"),
    Column("reason", "需核实原因"),
    Column("status_at_death", "死亡时参保状态"),
    Column("overpaid_months", "多发月数", "int", total=True),
    Column("overpaid_amount", "多发待遇（元）", "money", total=True),
    Column("funeral_subsidy", "丧葬补助金（元）", "money", total=True),
    Column("account_balance", "个人账户余额（元）", "money", total=True),
    Column("net_to_heirs", "应付法定领取人（元）", "money", total=True),
    Column("to_recover", "应追回（元）", "money", total=True),
)
UNINSURED_COLUMNS = (
    Column("village", "村社区"),
    Column("name", "姓名"),
    Column("citizen_id", "公民身份号码"),
    Column("age", "年龄", "int"),
    Column("category_text", "类别"),
    Column("groups_text", "特殊群体"),
    Column("advance_amount", "垫付金额（元）", "money", total=True),
    Column("monthly_pension_estimate", "预计月养老金（元）", "money"),
    Column("repay_months", "垫付偿还月数", "int"),
    Column("advance_note", "无垫付原因"),  # 垫付政策不在执行期
    Column("evidence", "未参保依据"),
)
FUNERAL_COLUMNS = (
    Column("village", "村社区"),
    Column("name", "姓名"),
    Column("citizen_id", "公民身份号码"),
    Column("pension_no", "个人编号"),
    Column("kind_text", "问题类型"),
    Column("payments_text", "涉及发放记录"),
    Column("amount_to_recover", "应追回金额（元）", "money", total=True),
    Column("decision_text", "处理意见"),
    Column("reason", "需核实原因"),
)
COVERAGE_COLUMNS = (
    Column("village", "村社区"),
    Column("residents_16_plus", "年满16周岁户籍人口", "int", total=True),
    Column("insured", "已参保", "int", total=True),
    Column("uninsured_eligible", "应保未保", "int", total=True),
    Column("coverage_rate", "参保率", "rate"),
)
DISAGREEMENT_COLUMNS = (
    Column("village", "村社区"),
    Column("name", "姓名"),
    Column("citizen_id", "公民身份号码"),
    Column("kind_text", "不一致类型"),
    Column("agencies_text", "涉及部门"),
    Column("details", "具体情况"),
    Column("ask", "需协调事项"),
    Column("first_seen_run", "首次发现批次"),
)
WORKLIST_COLUMNS = (
    Column("village", "村社区"),
    Column("case_id", "案件编号"),
    Column("kind_text", "案件类别"),
    Column("state_text", "办理状态"),
    Column("nights_open", "在办天数", "int"),
    Column("next_step", "下一步"),
    Column("new_text", "本批新立案"),
    Column("citizen_id", "公民身份号码"),
    Column("name", "姓名"),
)
CLAIM_COLUMNS = (
    Column("village", "村社区"),
    Column("case_id", "案件编号"),
    Column("name", "逝者姓名"),
    Column("citizen_id", "公民身份号码"),
    Column("death_date", "死亡日期", "date"),
    Column("applicant", "申请人"),
    Column("relation", "与逝者关系"),
    Column("documents", "所交材料"),
    Column("applied_on", "受理日期", "date"),
    Column("state", "办理状态"),
    Column("eligibility", "领取条件"),
    Column("override_text", "市级特批"),
    Column("amount_due", "补助金（元）", "money", total=True),
    Column("offset", "抵扣多发待遇（元）", "money", total=True),
    Column("payout", "实发（元）", "money", total=True),
    Column("paid_to", "发放至"),
    Column("paid_on", "发放日期", "date"),
)
ADVANCE_COLUMNS = (
    Column("village", "村社区"),
    Column("case_id", "案件编号"),
    Column("name", "姓名"),
    Column("citizen_id", "公民身份号码"),
    Column("state_text", "办理状态"),
    Column("applied_on", "申请日期", "date"),
    Column("paid_on", "垫付到账日期", "date"),
    Column("amount_due", "垫付金额（元）", "money", total=True),
    Column("withheld", "按月扣回（元）", "money", total=True),
    Column("repaid_early", "提前还款（元）", "money", total=True),
    Column("balance", "垫付余额（元）", "money", total=True),
    Column("months_repaid", "已扣回月数", "int"),
    Column("months_left", "尚需扣回月数", "int"),
    Column("months_flagged", "异常月数", "int", total=True),
    Column("flagged_months", "异常月份"),
    Column("to_refund", "应退还多扣（元）", "money", total=True),
)
#: the sheets of a database with cases, written after SHEETS (工作台账 last)
CLAIM_SHEET, ADVANCE_SHEET = "丧葬补助金申领", "垫付台账"
NO_CLAIMS = "本乡镇当前无丧葬补助金申领。"
NO_ADVANCES = "本乡镇当前无缴费资金垫付。"
#: the sheet of open cases, written after SHEETS when the database has cases
WORKLIST_SHEET = "工作台账"
NO_OPEN_CASES = "本乡镇当前无在办案件。"
#: sheet name → its columns, in the order the sheets appear.
SHEETS = {
    "待注销人员": DEATH_COLUMNS,
    "应保未保人员": UNINSURED_COLUMNS,
    "丧葬补助金核查": FUNERAL_COLUMNS,
    "覆盖率": COVERAGE_COLUMNS,
    "数据不一致": DISAGREEMENT_COLUMNS,
}
FORMATS = {
    "text": {},
    "int": {"num_format": "0"},
    "money": {"num_format": "#,##0.00"},
    "date": {"num_format": "yyyy-mm-dd"},
    "rate": {"num_format": "0.00%"},
}


def write_township_workbook(path: Path, township: str, data: ReportData) -> Path:
    """Write the township's workbook to `path`; `data` is already `for_township(...)`."""
    frames = _sheet_frames(data)
    workbook = xlsxwriter.Workbook(str(path), {"remove_timezone": True})
    workbook.set_properties(
        {
            "title": f"{township} 城乡居保数据比对核查表（截至 {data.as_of:%Y-%m-%d}）",
            "subject": f"批次 {data.run_id}",
            "company": "龙井市社会保险事业管理局",
        }
    )
    header = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    formats = {kind: workbook.add_format(spec) for kind, spec in FORMATS.items()}
    totals = {kind: workbook.add_format({**spec, "bold": True}) for kind, spec in FORMATS.items()}
    for sheet_name, columns in SHEETS.items():
        sheet = workbook.add_worksheet(sheet_name, TableSheet)
        frame = frames[sheet_name]
        _write_table(sheet, frame, columns, header, formats)
        _write_totals(sheet, frame, columns, totals)
        if sheet_name == "覆盖率":
            _write_coverage_rate_total(sheet, frame, totals["rate"])
    if data.cases is not None:
        claims = claim_rows(data.cases, data.claim_deaths, data.case_events)
        advances = advance_rows(data.cases, data.case_events)
        for name, frame, columns, none in (
            (CLAIM_SHEET, claims, CLAIM_COLUMNS, NO_CLAIMS),
            (ADVANCE_SHEET, advances, ADVANCE_COLUMNS, NO_ADVANCES),
        ):
            _write_cases_sheet(
                workbook.add_worksheet(name, TableSheet),
                frame,
                columns,
                none,
                header,
                formats,
                totals,
            )
        _write_worklist(
            workbook.add_worksheet(WORKLIST_SHEET, TableSheet), data.cases, header, formats, totals
        )
    workbook.close()
    return path


def _sheet_frames(data: ReportData) -> dict[str, pl.DataFrame]:
    """The findings as the sheets show them: codes turned into the staff's words."""
    deaths = data.deaths.with_columns(
        evidence_text=pl.col("evidence").list.eval(pl.element().replace(EVIDENCE)).list.join("、"),
        decision_text=pl.col("decision").replace(DECISION),
    )
    uninsured = data.uninsured.with_columns(
        category_text=pl.col("category").replace(CATEGORY),
        groups_text=pl.col("special_groups").list.join("、"),
    )
    funeral = data.funeral.with_columns(
        kind_text=pl.col("kind").replace(FUNERAL_KIND),
        payments_text=pl.col("payments").map_elements(_payments_text, return_dtype=pl.String),
    )
    funeral = funeral.with_columns(
        decision_text=pl.col("decision").replace(FUNERAL_DECISION)
        if "decision" in funeral.columns
        else pl.lit(FUNERAL_DECISION["confirmed"]),
        reason=pl.col("reason") if "reason" in funeral.columns else pl.lit(None, pl.String),
    )
    disagreements = data.disagreements.with_columns(
        kind_text=pl.col("kind").replace(DISAGREEMENT_KIND),
        agencies_text=pl.col("agencies").list.join("、"),
    )
    return {
        "待注销人员": deaths,
        "应保未保人员": uninsured,
        "丧葬补助金核查": funeral,
        "覆盖率": data.coverage,
        "数据不一致": disagreements,
    }


def _write_worklist(sheet, cases: pl.DataFrame, header, formats, totals) -> None:
    """工作台账: the open cases by village, oldest first; a note when there are none."""
    frame = worklist_rows(cases)
    _write_cases_sheet(sheet, frame, WORKLIST_COLUMNS, NO_OPEN_CASES, header, formats, totals)


def _write_cases_sheet(sheet, frame, columns, none: str, header, formats, totals) -> None:
    """A sheet of cases with its 合计 row, or the note `none` when there are none."""
    _write_table(sheet, frame, columns, header, formats)
    if frame.is_empty():
        sheet.write_string(2, 0, none, totals["text"])
    else:
        _write_totals(sheet, frame, columns, totals)


def _payments_text(payments: list[dict] | pl.Series | None) -> str:
    if payments is None:
        return ""
    parts = []
    for p in payments:
        scheme = SCHEME.get(p["scheme"], p["scheme"])
        day = p["paid_date"].isoformat() if p["paid_date"] else "日期不详"
        parts.append(f"{scheme} {day} {p['amount']}元")
    return "；".join(parts)


def _write_table(sheet: TableSheet, frame: pl.DataFrame, columns, header, formats) -> None:
    keys = [column.key for column in columns]
    fast = rows_fit(frame, keys)
    for c, column in enumerate(columns):
        sheet.write_string(0, c, column.header, header)
        sheet.set_column(c, c, _width(column, frame[column.key]))
        if not fast:
            for r, value in enumerate(frame[column.key].to_list(), start=1):
                _write_cell(sheet, r, c, value, formats[column.kind])
    if fast:
        styles = [formats[column.kind]._get_xf_index() for column in columns]
        sheet.set_body(rows_xml(frame, keys, styles), frame.height, len(columns))
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, max(frame.height, 1), len(columns) - 1)


def _write_totals(sheet, frame: pl.DataFrame, columns, totals) -> None:
    row = frame.height + 2
    sheet.write_string(row, 0, f"合计（{frame.height} 条）", totals["text"])
    for c, column in enumerate(columns):
        if column.total:
            value = frame[column.key].drop_nulls().sum() if frame.height else 0
            _write_cell(sheet, row, c, value, totals[column.kind])


def _write_coverage_rate_total(sheet, frame: pl.DataFrame, fmt) -> None:
    rate = frame.select(coverage_rate(pl.col("insured").sum(), pl.col("residents_16_plus").sum()))
    rate = rate.item()
    _write_cell(sheet, frame.height + 2, len(COVERAGE_COLUMNS) - 1, rate, fmt)


def _write_cell(sheet, row: int, col: int, value, fmt) -> None:
    if value is None:
        sheet.write_blank(row, col, None, fmt)
    elif isinstance(value, dt.date):
        sheet.write_datetime(row, col, dt.datetime.combine(value, dt.time()), fmt)
    elif isinstance(value, Decimal | int | float) and not isinstance(value, bool):
        sheet.write_number(row, col, float(value), fmt)
    else:
        sheet.write_string(row, col, str(value), fmt)


def _width(column: Column, values: pl.Series) -> float:
    """Column width in characters: CJK counts double; long free text is capped."""
    if column.kind in ("money", "int", "rate", "date"):
        content = 12
    else:
        content = display_width(values.head(2000))
    return min(max(_display_len(column.header), content) + 2, 60)


def _display_len(text: str) -> int:
    return sum(2 if ord(ch) >= 0x2E80 else 1 for ch in text)
