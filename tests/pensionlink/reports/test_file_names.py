"""Nothing from the data names a file: a township value never becomes a path."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pensionlink.reports import UnknownTownship, load_report_data, write_reports
from pensionlink.reports.file_names import (
    TOWNSHIPS,
    UnsafeReportPath,
    report_path,
    township_file_stem,
)
from pensionlink.warehouse.store import open_warehouse
from tests.pensionlink.tiny_warehouse import publish_night

SLUG = re.compile(r"^其他乡镇-[0-9a-f]{10}$")
HOSTILE = [
    "../../../pwned",
    "/tmp/pwned-abs",
    "a/b",
    "..",
    ".",
    "",
    "龙门街道/..",
    "C:\\x",
    "x\x00y",
]


def test_the_citys_nine_townships_keep_their_names():
    assert len(TOWNSHIPS) == 9
    assert [township_file_stem(t) for t in TOWNSHIPS] == list(TOWNSHIPS)


@pytest.mark.parametrize("value", HOSTILE)
def test_any_other_value_gets_a_fixed_prefix_and_a_hash(value: str):
    stem = township_file_stem(value)
    assert SLUG.match(stem), stem
    assert township_file_stem(value) == stem  # stable from night to night


def test_different_values_get_different_names():
    assert len({township_file_stem(v) for v in HOSTILE}) == len(HOSTILE)


@given(st.text())
def test_no_value_names_a_file_outside_the_folder(value: str):
    out = Path("/reports/2026-11-27")
    path = report_path(out, f"{township_file_stem(value)}_2026-11-27.xlsx")
    assert path.parent == out and re.fullmatch(r"[\w\u4e00-\u9fff-]+\.xlsx", path.name)


@pytest.mark.parametrize("name", ["../x.xlsx", "/tmp/x.xlsx", "a/b.xlsx", "..", ""])
def test_a_path_leaving_the_folder_is_refused(tmp_path: Path, name: str):
    with pytest.raises(UnsafeReportPath):
        report_path(tmp_path / "out", name)


def test_hostile_townships_are_reported_inside_the_folder(tmp_path: Path):
    db = tmp_path / "db" / "pensionlink.duckdb"
    night = {"龙门街道": 10, "../../../pwned": 3, str(tmp_path / "abs"): 4, "a/b": 5}
    publish_night(db, dt.date(2026, 11, 27), night, dt.datetime(2026, 11, 27, 2))
    out = tmp_path / "db" / "reports" / "2026-11-27"
    with open_warehouse(db, read_only=True) as warehouse:
        files = write_reports(load_report_data(warehouse), out)
    assert len(files.workbooks) == 4 and files.summary is not None
    assert all(p.parent == out for p in [*files.workbooks, files.summary])
    names = sorted(p.name for p in files.workbooks)
    assert names[-1] == "龙门街道_2026-11-27.xlsx"
    assert all(SLUG.match(n.removesuffix("_2026-11-27.xlsx")) for n in names[:-1])
    written = {p for p in tmp_path.rglob("*") if p.is_file()}
    outside = {p for p in written if p.parent != out and p.parent != db.parent}
    assert outside == set()
    assert not (tmp_path / "abs_2026-11-27.xlsx").exists()


def test_asking_for_one_township_names_only_the_citys_own(tmp_path: Path):
    db = tmp_path / "pensionlink.duckdb"
    night = {"龙门街道": 10, "../../../pwned": 3, "金顺花": 2}
    publish_night(db, dt.date(2026, 11, 27), night, dt.datetime(2026, 11, 27, 2))
    with open_warehouse(db, read_only=True) as warehouse:
        data = load_report_data(warehouse)
    with pytest.raises(UnknownTownship) as err:
        write_reports(data, tmp_path / "out", "火星镇")
    assert str(err.value).endswith("known: 龙门街道 (+2 other value(s))")
    files = write_reports(data, tmp_path / "out", "../../../pwned")
    (workbook,) = files.workbooks
    assert workbook.parent == tmp_path / "out" and SLUG.match(workbook.name.split("_")[0])
