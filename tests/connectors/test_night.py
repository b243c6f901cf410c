"""read_night: required and optional sources, the run-record entries, the sample night."""

from __future__ import annotations

import polars as pl
import pytest
from pensionlink.connectors import SourceRejected, read_night, read_source, source_names

from tests.connectors.drop_folder import hukou_rows, minimal_night, target, write_csv

REJECTED_COLUMNS = ["source", "file", "line", "column", "value", "reason"]


def test_missing_optional_sources_are_empty_frames_with_the_read_schema(tmp_path):
    night = read_night(minimal_night(tmp_path))

    assert list(night.frames) == list(source_names())
    assert len(source_names()) == 15
    assert night.frames["hukou"].height == 2
    visits = night.frames["visits"]
    assert visits.is_empty()
    assert visits.columns[:4] == ["citizen_id_raw", "name", "visit_date", "facility"]
    assert visits.schema["visit_date"] == pl.Date
    assert {"citizen_id", "id_status", "id_clean", "id_birth_date", "id_sex", "line_no"} <= set(
        visits.columns
    )
    assert night.frames["disabled"].schema["grade"] == pl.Int8
    assert night.frames["death_certificates"].schema["death_date"] == pl.Date
    entry = next(s for s in night.sources if s["source"] == "visits")
    assert entry["note"] == "未送达 not delivered"
    assert entry["stale"] is False
    assert entry["rows_read"] == 0


def test_empty_frame_schema_equals_a_read_frame_schema(tmp_path):
    delivered = minimal_night(tmp_path / "delivered")
    write_csv(
        delivered, "visits", [["身份证号", "姓名", "就诊日期", "医疗机构"], ["", "某人", "", ""]]
    )
    read = read_source("visits", delivered).frame
    absent = read_night(minimal_night(tmp_path / "absent")).frames["visits"]
    assert read.height == 1
    assert absent.schema == read.schema


def test_run_record_entry_of_a_read_source(tmp_path):
    night = read_night(minimal_night(tmp_path))
    entry = night.sources[0]
    assert entry["source"] == "hukou"
    assert entry["file"] == "public_security/hukou.csv"
    assert entry["encoding"] == "gb18030"
    assert len(entry["checksum"]) == 64
    assert (entry["rows_read"], entry["rows_rejected"], entry["stale"], entry["note"]) == (
        2,
        0,
        False,
        None,
    )


def test_missing_hukou_stops_the_night(tmp_path):
    minimal_night(tmp_path)
    target(tmp_path, "hukou").unlink()
    with pytest.raises(SourceRejected, match="public_security/hukou") as err:
        read_night(tmp_path)
    assert "\n" not in str(err.value)


def test_rejected_roster_stops_the_night(tmp_path):
    minimal_night(tmp_path)
    write_csv(tmp_path, "resident_roster", [["个人编号", "姓名"], ["1", "某人"]])
    with pytest.raises(SourceRejected, match=r"resident_roster\.csv.*参保状态"):
        read_night(tmp_path)


def test_rejected_optional_source_becomes_empty_with_a_note(tmp_path):
    minimal_night(tmp_path)
    write_csv(tmp_path, "custody", [["公民身份号码", "姓名"], ["1", "某人"]])
    night = read_night(tmp_path)
    assert night.frames["custody"].is_empty()
    entry = next(s for s in night.sources if s["source"] == "custody")
    assert "入所日期" in entry["note"]
    assert "public_security/custody.csv" in entry["note"]


def test_row_rejections_are_collected_for_the_night(tmp_path):
    minimal_night(tmp_path)
    rows = hukou_rows()
    rows[1][3] = "1947-0820"
    write_csv(tmp_path, "hukou", rows, "gb18030")
    night = read_night(tmp_path)
    assert night.rejected.columns == REJECTED_COLUMNS
    assert night.rejected.select("source", "line", "column").rows() == [("hukou", 2, "出生日期")]
    assert night.sources[0]["rows_rejected"] == 1
    assert night.frames["hukou"].height == 1


def test_sample_night_reads_cleanly(sample_night):
    night = read_night(sample_night)

    assert night.rejected.is_empty()
    assert night.rejected.columns == REJECTED_COLUMNS
    heights = {name: frame.height for name, frame in night.frames.items()}
    assert heights["hukou"] == 2000
    assert heights["resident_roster"] == 1265
    assert heights["visits"] == 4956
    assert heights["pension_fuxu"] == 0
    assert all(s["note"] is None and s["rows_rejected"] == 0 for s in night.sources)
    encodings = {s["source"]: s["encoding"] for s in night.sources}
    assert encodings["hukou"] == encodings["poverty"] == "gb18030"
    assert encodings["assistance"] == "utf-8-sig"
    assert night.frames["disabled"]["grade"].is_not_null().all()
    hukou = night.frames["hukou"]
    assert hukou["citizen_id"].is_not_null().all()


def test_sample_night_as_xlsx_gives_the_same_canonical_rows(sample_night, tmp_path):
    import csv
    import shutil

    import xlsxwriter

    csv_night = read_night(sample_night)
    for name, entry in ((s["source"], s) for s in csv_night.sources):
        source = sample_night / entry["file"]
        out = tmp_path / entry["file"]
        out.parent.mkdir(parents=True, exist_ok=True)
        if name in ("hukou", "visits", "pension_payments"):  # a mixed night: some stay CSV
            shutil.copy(source, out)
            continue
        encoding = entry["encoding"]
        with source.open(encoding=encoding, newline="") as f:
            rows = list(csv.reader(f))
        book = xlsxwriter.Workbook(out.with_suffix(".xlsx"))
        sheet = book.add_worksheet()
        for r, row in enumerate(rows):
            for c, cell in enumerate(row):
                sheet.write_string(r, c, cell)
        book.close()
    xlsx_night = read_night(tmp_path)
    assert xlsx_night.rejected.is_empty()
    for name in source_names():
        assert xlsx_night.frames[name].equals(csv_night.frames[name]), name
    kinds = {s["source"]: s["encoding"] for s in xlsx_night.sources}
    assert kinds["resident_roster"] == "xlsx" and kinds["hukou"] == "gb18030"
