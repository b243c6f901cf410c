"""Files as they really arrive: spreadsheet cells, blank lines, odd encodings, hooks."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
import xlsxwriter
from pensionlink.connectors import SourceRejected, read_night, read_source
from pensionlink.connectors.spec import ColumnSpec
from pensionlink.connectors.typed import parse_column, parse_leniently

from tests.connectors.drop_folder import (
    ID_MAN,
    hukou_rows,
    minimal_night,
    target,
    write_csv,
)

D = dt.date


def test_xlsx_date_and_number_cells(tmp_path):
    path = target(tmp_path, "pension_payments", ".xlsx")
    book = xlsxwriter.Workbook(path)
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, ["个人编号", "发放年月", "发放金额"])
    sheet.write_string(1, 0, "2205000008")
    sheet.write_number(1, 1, 202411)
    sheet.write_number(1, 2, 147.65)
    book.close()
    frame = read_source("pension_payments", tmp_path).frame
    assert frame.row(0)[:3] == (
        "2205000008",
        D(2024, 11, 1),
        pl.Series([147.65]).cast(pl.Decimal(12, 2))[0],
    )


def test_xlsx_real_date_cell_reads_as_the_date(tmp_path):
    path = target(tmp_path, "custody", ".xlsx")
    book = xlsxwriter.Workbook(path)
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, ["公民身份号码", "姓名", "入所日期", "出所日期", "羁押场所"])
    sheet.write_string(1, 0, ID_MAN)
    sheet.write_string(1, 1, "池花亮")
    sheet.write_datetime(
        1, 2, dt.datetime(2026, 8, 9), book.add_format({"num_format": "yyyy-mm-dd"})
    )
    book.close()
    read = read_source("custody", tmp_path)
    assert read.rejected.is_empty()
    assert read.frame["start_date"].to_list() == [D(2026, 8, 9)]
    assert read.frame["end_date"].to_list() == [None]


def test_blank_lines_are_skipped_but_counted_in_line_numbers(tmp_path):
    rows = hukou_rows()
    rows.insert(2, [""] * 11)  # ,,,,,,,,,,
    rows.insert(3, [" "] * 11)
    path = write_csv(tmp_path, "hukou", rows)
    path.write_bytes(path.read_bytes().replace(b"\r\n", b"\r\n\r\n", 1))  # an empty line
    read = read_source("hukou", tmp_path)
    assert read.rows_read == 2
    assert read.frame["line_no"].to_list() == [3, 6]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", "empty"),
        ("公民身份号码,姓名\r\n".encode("utf-16"), "UTF-16"),
        (b"PK\x03\x04rest-of-a-zip", "xlsx"),
    ],
)
def test_files_that_are_not_csv_text_are_rejected(tmp_path, data, expected):
    target(tmp_path, "hukou").write_bytes(data)
    with pytest.raises(SourceRejected, match=expected) as err:
        read_source("hukou", tmp_path)
    assert str(err.value).startswith("public_security/hukou.csv: ")


def test_corrupt_workbook_is_rejected(tmp_path):
    target(tmp_path, "hukou", ".xlsx").write_bytes(b"PK\x03\x04 not really a workbook")
    with pytest.raises(SourceRejected, match=r"hukou\.xlsx"):
        read_source("hukou", tmp_path)


def test_repeated_mapped_header_is_rejected(tmp_path):
    rows = hukou_rows()
    rows = [[*row, row[1]] for row in rows]  # 姓名 twice
    write_csv(tmp_path, "hukou", rows)
    with pytest.raises(SourceRejected, match="姓名"):
        read_source("hukou", tmp_path)


@pytest.mark.parametrize(
    ("kind", "formats", "text", "value"),
    [
        ("date", ("%Y%m%d",), "19470820", D(1947, 8, 20)),
        ("date", ("%Y%m%d",), "1947082", None),
        ("date", ("%Y%m%d",), "1947-08-20", D(1947, 8, 20)),
        ("date", ("%Y/%m/%d",), "2025/1/8", D(2025, 1, 8)),
        ("date", ("%Y/%m/%d",), "2025年1月8日", D(2025, 1, 8)),
        ("date", ("%Y/%m/%d",), "2025/2/30", None),
        ("date", ("%Y-%m-%d",), "08/01/2025", None),
        ("datetime", ("%Y-%m-%d %H:%M",), "2025/10/8 3:20", dt.datetime(2025, 10, 8, 3, 20)),
        ("datetime", ("%Y-%m-%d %H:%M",), "2025-10-08", dt.datetime(2025, 10, 8)),
        ("yearmonth", (), "2024-3", D(2024, 3, 1)),
        ("yearmonth", (), "20243", None),
        ("decimal", (), "¥1,234.5", 1234.5),
        ("decimal", (), "1e3", None),
        ("int", (), "12.0", 12),
        ("int", (), "12.5", None),
    ],
)
def test_lenient_parsing(kind, formats, text, value):
    col = ColumnSpec(header="h", column="c", type=kind, formats=formats)
    frame = pl.DataFrame({"h": [text]}).select(
        strict=parse_column(col, pl.col("h")), lenient=parse_leniently(col, pl.col("h"))
    )
    lenient = frame["lenient"][0]
    assert (float(lenient) if kind == "decimal" and lenient is not None else lenient) == value
    if frame["strict"][0] is not None:
        assert frame["strict"][0] == frame["lenient"][0]


class FakeSnapshots:
    """Snapshots kept in memory: what the warehouse would hand back."""

    def __init__(self, reads):
        self.reads = {r.name: r for r in reads}
        self.loaded = []

    def checksum(self, source):
        read = self.reads.get(source)
        return read.checksum if read else None

    def load(self, source):
        self.loaded.append(source)
        return self.reads.get(source)


def test_unchanged_file_is_not_parsed_again(tmp_path):
    minimal_night(tmp_path)
    first = read_night(tmp_path)
    kept = FakeSnapshots(first.accepted.values())
    again = read_night(tmp_path, snapshots=kept)
    hukou = next(s for s in again.sources if s["source"] == "hukou")
    assert "unchanged" in hukou["note"] and not hukou["stale"]
    assert again.frames["hukou"] is first.accepted["hukou"].frame
    assert "hukou" not in again.accepted  # nothing new to keep


def test_missing_or_rejected_source_is_replaced_by_its_snapshot(tmp_path):
    minimal_night(tmp_path)
    first = read_night(tmp_path)
    kept = FakeSnapshots(first.accepted.values())
    target(tmp_path, "resident_roster").write_text("个人编号,公民身份号\n1,2\n", encoding="utf-8")
    target(tmp_path, "hukou").unlink()
    night = read_night(tmp_path, snapshots=kept)
    entries = {s["source"]: s for s in night.sources}
    assert entries["hukou"]["stale"] and entries["hukou"]["note"] == "未送达 not delivered"
    assert (
        entries["resident_roster"]["stale"] and "公民身份号码" in entries["resident_roster"]["note"]
    )
    assert night.frames["resident_roster"].equals(first.frames["resident_roster"])
    assert "resident_roster" not in night.accepted


def test_required_source_never_accepted_stops_the_night(tmp_path):
    minimal_night(tmp_path)
    target(tmp_path, "hukou").unlink()
    with pytest.raises(SourceRejected, match="never accepted"):
        read_night(tmp_path, snapshots=FakeSnapshots([]))


def test_file_cut_mid_row_is_rejected_whole(tmp_path):
    path = write_csv(tmp_path, "hukou", hukou_rows())
    data = path.read_bytes().rstrip(b"\r\n")
    path.write_bytes(data[: data.rfind(b",")])  # the last row loses its last field
    with pytest.raises(SourceRejected, match="ends mid-row at line"):
        read_source("hukou", tmp_path)
    path.write_bytes(data)  # complete, merely without a final line break: fine
    assert read_source("hukou", tmp_path).rows_read == len(hukou_rows()) - 1


def test_file_without_header_row_is_rejected_without_echoing_the_record(tmp_path):
    write_csv(tmp_path, "hukou", hukou_rows()[1:])
    with pytest.raises(SourceRejected, match="first line is not the expected header") as err:
        read_source("hukou", tmp_path)
    assert ID_MAN not in str(err.value)
    assert "池花亮" not in str(err.value)


def test_an_unparsable_csv_names_the_line_never_the_cell(tmp_path):
    """Polars' message quotes the cell it could not parse; the rejection says where instead."""
    rows = hukou_rows()
    text = "".join(",".join(row) + "\r\n" for row in rows[:2])
    stray = ",".join([f'"{ID_MAN}"x', *rows[1][1:]])  # text after a closing quote, line 3
    target(tmp_path, "hukou").write_text(text + stray + "\r\n", encoding="utf-8")
    with pytest.raises(SourceRejected) as err:
        read_source("hukou", tmp_path)
    message = str(err.value)
    assert "unparsable CSV" in message and "near line 3" in message
    assert ID_MAN not in message and rows[1][1] not in message


def test_a_corrupt_workbook_message_quotes_nothing_from_the_file(tmp_path):
    target(tmp_path, "hukou", ".xlsx").write_bytes(b"PK\x03\x04 " + ID_MAN.encode())
    with pytest.raises(SourceRejected) as err:
        read_source("hukou", tmp_path)
    assert "unreadable workbook" in str(err.value) and ID_MAN not in str(err.value)
