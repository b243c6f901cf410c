"""A bad night never costs what earlier nights delivered (上次有效数据顶替)."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from pensionlink.flows.nightly import run_night

from pensionlink.settings import Settings, load_policy
from pensionlink.warehouse.store import connect_database

AS_OF = dt.date(2026, 11, 28)


def run(extracts: Path, db: Path) -> dict:
    return run_night(Settings(extracts=extracts, db=db, as_of=AS_OF, policy=load_policy(AS_OF)))


def latest_sources(db: Path) -> dict[str, dict]:
    with connect_database(db) as con:
        (sources,) = con.execute(
            "SELECT sources FROM runs ORDER BY started_at DESC LIMIT 1"
        ).fetchone()
    return {s["source"]: s for s in sources}


def findings(db: Path) -> list:
    with connect_database(db) as con:
        return con.execute(
            "SELECT pension_no, decision, to_recover FROM deaths_to_deregister ORDER BY pension_no"
        ).fetchall()


@pytest.fixture(scope="module")
def first_night(sample_night: Path, tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("snap")
    db = root / "pensionlink.duckdb"
    run(sample_night, db)
    return root, db


def test_renamed_header_cut_file_and_missing_file_keep_the_last_good_data(
    first_night, sample_night: Path
):
    root, first_db = first_night
    db = root / "bad.duckdb"
    shutil.copy(first_db, db)
    before = findings(db)
    night = root / "bad-night"
    shutil.copytree(sample_night, night)
    roster = night / "social_security" / "resident_roster.csv"
    roster.write_text(
        roster.read_text(encoding="utf-8").replace("个人编号", "人员编号", 1), encoding="utf-8"
    )
    hukou = night / "public_security" / "hukou.csv"
    data = hukou.read_bytes()
    hukou.write_bytes(data[: len(data) // 2] + b"\xff\xfe\x81")
    (night / "medical_insurance" / "enrollment.csv").unlink()

    summary = run(night, db)

    sources = latest_sources(db)
    stale = {name for name, s in sources.items() if s["stale"]}
    assert stale == {"resident_roster", "hukou", "medical_enrollment"}
    assert "个人编号" in sources["resident_roster"]["note"]
    assert "hukou.csv" in sources["hukou"]["note"]
    assert sources["medical_enrollment"]["note"] == "未送达 not delivered"
    assert sorted(summary["stale_sources"]) == sorted(stale)
    assert findings(db) == before  # the same people, decided the same way


def test_unchanged_files_are_reused_and_give_the_same_findings(first_night, sample_night: Path):
    root, first_db = first_night
    db = root / "again.duckdb"
    shutil.copy(first_db, db)
    run(sample_night, db)
    sources = latest_sources(db)
    assert all("unchanged" in (s["note"] or "") for s in sources.values())
    assert not any(s["stale"] for s in sources.values())
    assert findings(db) == findings(first_db)
