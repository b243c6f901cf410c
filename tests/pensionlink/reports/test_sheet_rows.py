"""Worksheet rows built from the frame (sheet_rows) read back as staff would see them."""

from __future__ import annotations

import datetime as dt
import zipfile
from decimal import Decimal

import openpyxl
import polars as pl
import pytest
import xlsxwriter

from pensionlink.reports import workbook as wb
from pensionlink.reports.sheet_rows import TableSheet, display_width, rows_fit

COLUMNS = (
    wb.Column("village", "村社区"),
    wb.Column("citizen_id", "公民身份号码"),
    wb.Column("code", "编号"),
    wb.Column("note", "备注"),
    wb.Column("months", "多发月数", "int", total=True),
    wb.Column("amount", "金额（元）", "money", total=True),
    wb.Column("day", "死亡日期", "date"),
    wb.Column("rate", "参保率", "rate"),
    wb.Column("flag", "标记"),
)


def _frame() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "village": ["龙山村", 'A&B <村> "东"', None, " 前后空格 "],
            "citizen_id": ["222405********1234", "007", "1e5", "0012"],
            "code": ["0001", "12345678901234567890", "", "a\tb"],
            "note": ["长" * 100, "x", None, "丧葬补助金 待核实"],
            "months": [3, None, 0, -2],
            "amount": [Decimal("600.00"), Decimal("12.34"), None, Decimal("-0.10")],
            "day": [dt.date(2026, 11, 28), None, dt.date(1900, 1, 15), dt.date(1970, 1, 1)],
            "rate": [0.1 + 0.2, 1.0, None, 2 / 3],
            "flag": [True, False, None, True],
        },
        schema_overrides={"amount": pl.Decimal(12, 2), "months": pl.Int32},
    )


def _write(path, frame, columns, write_table) -> None:
    book = xlsxwriter.Workbook(str(path), {"remove_timezone": True})
    header = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    formats = {kind: book.add_format(spec) for kind, spec in wb.FORMATS.items()}
    totals = {k: book.add_format({**spec, "bold": True}) for k, spec in wb.FORMATS.items()}
    for name in ("待注销人员", "数据不一致"):
        sheet = book.add_worksheet(name, TableSheet)
        write_table(sheet, frame, columns, header, formats)
        wb._write_totals(sheet, frame, columns, totals)
    book.close()


def _cell_by_cell(sheet, frame, columns, header, formats) -> None:
    """The writer before sheet_rows: one xlsxwriter call per cell."""
    for c, column in enumerate(columns):
        sheet.write_string(0, c, column.header, header)
        values = frame[column.key].to_list()
        for r, value in enumerate(values, start=1):
            wb._write_cell(sheet, r, c, value, formats[column.kind])
        sample = [wb._display_len(str(v)) for v in values[:2000] if v is not None]
        content = 12 if column.kind != "text" else max(sample, default=0)
        sheet.set_column(c, c, min(max(wb._display_len(column.header), content) + 2, 60))
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, max(frame.height, 1), len(columns) - 1)


def _cells(path):
    book = openpyxl.load_workbook(path)
    return {
        name: (
            sheet.dimensions,
            sheet.freeze_panes,
            sheet.auto_filter.ref,
            {k: d.width for k, d in sheet.column_dimensions.items()},
            [
                [(c.value, type(c.value), c.number_format, c.font.b) for c in row]
                for row in sheet.iter_rows()
            ],
        )
        for name, sheet in zip(book.sheetnames, book.worksheets, strict=True)
    }


@pytest.mark.parametrize("rows", [4, 0])
def test_rows_read_back_as_the_cell_by_cell_writer_wrote_them(tmp_path, rows):
    frame = _frame().head(rows)
    fast, slow = tmp_path / "fast.xlsx", tmp_path / "slow.xlsx"
    _write(fast, frame, COLUMNS, wb._write_table)
    _write(slow, frame, COLUMNS, _cell_by_cell)
    assert _cells(fast) == _cells(slow)


def test_values_types_escaping_and_widths(tmp_path):
    path = tmp_path / "t.xlsx"
    _write(path, _frame(), COLUMNS, wb._write_table)
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["待注销人员", "数据不一致"]
    sheet = book["待注销人员"]
    assert sheet.dimensions == "A1:I7"  # header, 4 rows, a blank row, 合计
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:I5"
    assert [c.value for c in sheet[1]] == [c.header for c in COLUMNS]
    assert [c.value for c in sheet["A"][1:5]] == ["龙山村", 'A&B <村> "东"', None, " 前后空格 "]
    # IDs and leading-zero codes stay text
    assert [c.value for c in sheet["B"][1:5]] == ["222405********1234", "007", "1e5", "0012"]
    assert all(c.data_type == "s" for c in sheet["B"][1:5])
    assert [c.value for c in sheet["C"][1:5]] == [
        "0001",
        "12345678901234567890",
        "",
        "a\tb",
    ]
    assert [c.value for c in sheet["E"][1:5]] == [3, None, 0, -2]
    assert [c.value for c in sheet["F"][1:5]] == [600, 12.34, None, -0.1]
    assert sheet["F2"].number_format == "#,##0.00" and sheet["E2"].number_format == "0"
    days = [c.value for c in sheet["G"][1:5]]
    assert days == [
        dt.datetime(2026, 11, 28),
        None,
        dt.datetime(1900, 1, 15),
        dt.datetime(1970, 1, 1),
    ]
    assert sheet["G2"].number_format == "yyyy-mm-dd" and sheet["G2"].is_date
    assert [c.value for c in sheet["H"][1:5]] == [
        0.3,
        1,
        None,
        2 / 3,
    ]  # %.16G, as xlsxwriter writes
    assert [c.value for c in sheet["I"][1:5]] == ["True", "False", None, "True"]
    assert sheet["A6"].value is None and sheet["A7"].value == "合计（4 条）"
    assert sheet["F7"].value == pytest.approx(612.24)
    widths = {k: d.width for k, d in sheet.column_dimensions.items()}
    assert widths["B"] == pytest.approx(20.71, abs=0.01)  # 18 characters + 2
    assert widths["D"] == pytest.approx(60.71, abs=0.01)  # capped at 60
    with zipfile.ZipFile(path) as package:
        types = package.read("[Content_Types].xml").decode()
        xml = package.read("xl/worksheets/sheet1.xml").decode()
    assert types.count("/xl/worksheets/sheet") == 2
    assert '<dimension ref="A1:I7"/>' in xml
    assert "A&amp;B &lt;村&gt;" in xml and 't="inlineStr"' in xml


@pytest.mark.parametrize("odd", ["_x0041_", "bell \x07", None])
def test_control_characters_and_odd_types_are_written_cell_by_cell(tmp_path, odd):
    frame = _frame().with_columns(code=pl.Series([odd, "x", "y", "z"]))
    columns = COLUMNS
    if odd is None:  # a list column: not one rows_xml writes
        frame = frame.with_columns(code=pl.Series([[1], [2, 3], None, []]))
    assert not rows_fit(frame, [c.key for c in columns])
    fast, slow = tmp_path / "fast.xlsx", tmp_path / "slow.xlsx"
    _write(fast, frame, columns, wb._write_table)
    _write(slow, frame, columns, _cell_by_cell)
    assert _cells(fast) == _cells(slow)


def test_display_width_counts_cjk_double():
    values = pl.Series(["ab", "龙井市", None, "a＆"])
    assert display_width(values) == 6
    assert display_width(pl.Series([None], dtype=pl.String)) == 0
    assert display_width(pl.Series([12345, 7])) == 5
