"""agency_disagreements published: first_seen_run stable across nights, de-identified in the
analysts' copy, a 数据不一致 sheet in the township workbook and a section of the summary."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import duckdb
import openpyxl
import pytest
from pensionlink.findings.night import night_findings

from pensionlink.reports import load_report_data, write_reports
from pensionlink.settings import Settings, load_policy
from pensionlink.warehouse.analyst_database import analyst_path, publish_analyst_database
from pensionlink.warehouse.run_record import run_frame
from pensionlink.warehouse.store import connect_database, open_warehouse, write_warehouse
from tests.findings.night_frames import D, night

A = "222405195001010011"
B = "222405195202020022"
WHOLE_ID = re.compile(r"\d{17}[\dXx]")


def person(pid, name):
    return {
        "citizen_id": pid,
        "name": name,
        "birth_date": D("1950-01-01"),
        "township": "三合镇",
        "village": "三合村",
        "hukou_status": "正常",
    }


def linked(with_b: bool) -> dict:
    rows = {
        "hukou": [person(A, "金顺姬"), person(B, "朴英哲")],
        "resident_roster": [
            {
                "citizen_id": A,
                "pension_no": "P1",
                "name": "金顺姬",
                "status": "终止",
                "township": "三合镇",
                "village": "三合村",
            }
        ],
        "status_changes": [
            {
                "pension_no": "P1",
                "status_before": "参保缴费",
                "status_after": "终止",
                "changed_date": D("2026-02-17"),
                "reason": "死亡",
            }
        ],
    }
    if with_b:
        rows["medical_enrollment"] = [
            {
                "citizen_id": B,
                "name": "朴英哲",
                "status": "终止参保",
                "end_date": D("2026-11-20"),
                "end_reason": "死亡",
            }
        ]
    return night(**rows)


def publish(db: Path, as_of: dt.date, started: dt.datetime, with_b: bool) -> str:
    policy = load_policy(as_of)
    settings = Settings(extracts=Path("."), db=db, as_of=as_of, policy=policy)
    run = run_frame(settings, None, started, [])
    tables = night_findings(linked(with_b), as_of, policy)
    with write_warehouse(db) as warehouse:
        warehouse.publish(run, tables)
    return run["run_id"][0]


@pytest.fixture(scope="module")
def published(tmp_path_factory) -> tuple[Path, str, str]:
    db = tmp_path_factory.mktemp("disagree") / "pensionlink.duckdb"
    first = publish(db, D("2026-11-28"), dt.datetime(2026, 11, 29, 2, 0, 0), with_b=False)
    second = publish(db, D("2026-11-29"), dt.datetime(2026, 11, 30, 2, 0, 0), with_b=True)
    publish_analyst_database(db)
    return db, first, second


def test_first_seen_run_stays_the_night_it_was_first_published(published):
    db, first, second = published
    with connect_database(db) as con:
        rows = con.execute(
            "SELECT citizen_id, kind, first_seen_run, run_id FROM agency_disagreements "
            "ORDER BY citizen_id"
        ).fetchall()
        history = con.execute(
            "SELECT run_id, first_seen_run FROM agency_disagreements_history "
            "WHERE citizen_id = ? ORDER BY run_id",
            [A],
        ).fetchall()
    assert rows == [
        (A, "roster_dead_hukou_alive", first, second),
        (B, "medical_dead_hukou_alive", second, second),
    ]
    assert history == [(first, first), (second, first)]


def test_a_later_night_keeps_first_seen(published, tmp_path):
    db, first, _ = published
    copy = tmp_path / "again.duckdb"
    copy.write_bytes(db.read_bytes())
    third = publish(copy, D("2026-11-30"), dt.datetime(2026, 12, 1, 2, 0, 0), with_b=True)
    with connect_database(copy) as con:
        got = dict(
            con.execute("SELECT citizen_id, first_seen_run FROM agency_disagreements").fetchall()
        )
    assert got[A] == first and got[B] != third


def test_analysts_copy_has_no_citizen_id_in_disagreements(published):
    db, _, _ = published
    with duckdb.connect(str(analyst_path(db)), read_only=True) as con:
        for table in ("agency_disagreements", "agency_disagreements_history"):
            columns = [
                c
                for (c,) in con.execute(
                    "SELECT column_name FROM duckdb_columns() WHERE table_name = ?", [table]
                ).fetchall()
            ]
            assert "citizen_id" not in columns and "person_key" in columns, table
            assert {"kind", "agencies", "details", "ask", "first_seen_run"} <= set(columns)
        rows = con.execute(
            "SELECT citizen_id_masked, name, details, ask FROM agency_disagreements"
        ).fetchall()
    assert {r[0] for r in rows} == {i[:6] + "********" + i[-4:] for i in (A, B)}
    cells = [c for r in rows for c in r]
    assert not [c for c in cells if WHOLE_ID.search(c)]
    assert "金顺姬" not in cells and "金*姬" in cells


def test_workbook_sheet_and_summary_section(published, tmp_path):
    db, first, _ = published
    with open_warehouse(db, read_only=True) as warehouse:
        files = write_reports(load_report_data(warehouse), tmp_path)
    (book_path,) = files.workbooks
    sheet = openpyxl.load_workbook(book_path)["数据不一致"]
    header = [c.value for c in sheet[1]]
    assert header == [
        "村社区",
        "姓名",
        "公民身份号码",
        "不一致类型",
        "涉及部门",
        "具体情况",
        "需协调事项",
        "首次发现批次",
    ]
    rows = [[c.value for c in r] for r in sheet.iter_rows(min_row=2, max_row=3)]
    by_id = {r[2]: r for r in rows}
    masked = A[:6] + "********" + A[-4:]
    assert by_id[masked][3] == "社保局因死亡终止参保，户籍仍为正常"
    assert by_id[masked][4] == "社保局、公安局"
    assert by_id[masked][7] == first
    assert sheet.cell(5, 1).value == "合计（2 条）"
    assert not any(WHOLE_ID.search(str(c.value or "")) for r in sheet.iter_rows() for c in r)
    page = files.summary.read_text(encoding="utf-8")
    section = page[
        page.index('<section id="disagreements">') : page.index('<section id="quality">')
    ]
    assert re.search(r'id="disagreements-total">2<', section)
    assert 'data-kind="roster_dead_hukou_alive"' in section
    assert re.search(
        r'data-agency="公安局"><td class="name">公安局</td><td class="num">2<', section
    )
    assert not WHOLE_ID.search(page) and "金顺姬" not in page
