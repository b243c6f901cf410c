"""Whole nights with hostile values, and an older night run after a newer one."""

from __future__ import annotations

import datetime as dt
import logging
import shutil
from pathlib import Path

import duckdb
import pytest
from pensionlink.flows.nightly import run_night

from pensionlink.cli import _print_summary
from pensionlink.settings import Settings, load_policy
from pensionlink.warehouse.analyst_database import analyst_path
from pensionlink.warehouse.store import connect_database

NOV27, NOV20 = dt.date(2026, 11, 27), dt.date(2026, 11, 20)
NAME_IN_HEADER = "欧阳娜娜"  # a person's name typed over the 姓名 header of a file


def run(extracts: Path, db: Path, as_of: dt.date) -> dict:
    return run_night(Settings(extracts=extracts, db=db, as_of=as_of, policy=load_policy(as_of)))


def rewrite(path: Path, change) -> None:
    """Apply `change` to the file's lines, keeping its encoding."""
    data = path.read_bytes()
    encoding = "utf-8"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        encoding, text = "gb18030", data.decode("gb18030")
    path.write_bytes("\n".join(change(text.split("\n"))).encode(encoding))


def hostile_night(sample_night: Path, root: Path) -> tuple[Path, list[str]]:
    night = root / "night-2026-11-27"
    shutil.copytree(sample_night, night)
    hostile = ["../../../pwned", str(root / "abs"), "a/b"]

    def townships(lines: list[str]) -> list[str]:
        header = lines[0].split(",")
        column = header.index("乡镇街道")
        for i, value in enumerate(hostile, start=1):
            cells = lines[i].split(",")
            cells[column] = value
            lines[i] = ",".join(cells)
        return lines

    def name_header(lines: list[str]) -> list[str]:
        lines[0] = lines[0].replace("姓名", NAME_IN_HEADER, 1)
        return lines

    rewrite(night / "public_security" / "hukou.csv", townships)
    rewrite(night / "disabled" / "disabled_persons.csv", name_header)
    return night, hostile


def state(db: Path) -> dict:
    with connect_database(db) as con:
        return {
            table: sorted(con.execute(f"SELECT * FROM {table}").fetchall(), key=repr)
            for table in (
                "deaths_to_deregister",
                "uninsured_eligible",
                "coverage_by_area",
                "source_quality",
                "snapshots.deliveries",
            )
        }


def files(folder: Path) -> dict[str, tuple[int, int]]:
    return {p.name: (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.iterdir()}


@pytest.fixture(scope="module")
def nights(sample_night: Path, tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("hostile")
    db = root / "out" / "pensionlink.duckdb"
    night, hostile = hostile_night(sample_night, root)
    handler = _Collect()
    logging.getLogger().addHandler(handler)
    logging.getLogger("pensionlink").setLevel(logging.INFO)
    try:
        newer = run(night, db, NOV27)
    finally:
        logging.getLogger().removeHandler(handler)
    reports27 = db.parent / "reports" / "2026-11-27"
    before = {"state": state(db), "reports": files(reports27)}
    older = run(sample_night, db, NOV20)
    return {
        "root": root,
        "db": db,
        "hostile": hostile,
        "newer": newer,
        "older": older,
        "log": handler.lines,
        "before": before,
        "reports27": reports27,
    }


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def test_township_values_never_name_a_file(nights: dict):
    root, reports = nights["root"], nights["reports27"]
    assert nights["newer"]["reports"] == str(reports)  # published and reported normally
    assert not (root / "pwned_2026-11-27.xlsx").exists()
    assert not (root / "abs_2026-11-27.xlsx").exists()
    assert not any(root.parent.glob("pwned*")) and not (reports / "a").exists()
    names = {p.name for p in reports.iterdir()}
    assert len([n for n in names if n.startswith("其他乡镇-")]) == 3
    assert "龙门街道_2026-11-27.xlsx" in names and "汇总_2026-11-27.html" in names


def test_a_name_typed_into_a_header_is_never_echoed(nights: dict, capsys):
    db, summary = nights["db"], nights["newer"]
    _print_summary(summary, db)
    console = capsys.readouterr().out
    (note,) = [e["note"] for e in summary["not_read"] if e["source"] == "disabled"]
    assert "第" in note and "姓名" in note  # says which column and what was expected
    with connect_database(db) as con:
        runs = con.execute("SELECT sources::VARCHAR, error FROM runs").fetchall()
        quality = con.execute("SELECT note FROM source_quality_history").fetchall()
    with duckdb.connect(str(analyst_path(db)), read_only=True) as con:
        analysts = con.execute("SELECT source, note FROM source_quality").fetchall()
    assert any(s == "disabled" and "第" in (n or "") for s, n in analysts)  # the note is there
    texts = [console, repr(runs), repr(quality), repr(analysts), *nights["log"]]
    assert all(NAME_IN_HEADER not in t for t in texts)


def test_an_older_night_leaves_the_live_tables_reports_and_snapshots(nights: dict):
    db, older, newer = nights["db"], nights["older"], nights["newer"]
    assert older["status"] == "backfilled" and newer["status"] == "published"
    assert state(db) == nights["before"]["state"]  # live tables and snapshots unchanged
    assert files(nights["reports27"]) == nights["before"]["reports"]
    reports20 = db.parent / "reports" / "2026-11-20"
    assert older["reports"] == str(reports20)
    assert "汇总_2026-11-20.html" in {p.name for p in reports20.iterdir()}
    with connect_database(db) as con:
        history = dict(
            con.execute(
                "SELECT run_id, count(*) FROM coverage_by_area_history GROUP BY run_id"
            ).fetchall()
        )
        statuses = dict(con.execute("SELECT run_id, status FROM runs").fetchall())
    assert set(history) == {newer["run_id"], older["run_id"]}
    assert statuses == {newer["run_id"]: "published", older["run_id"]: "backfilled"}


def test_reports_and_the_analysts_copy_are_not_readable_by_others(nights: dict):
    db = nights["db"]
    for path in [*nights["reports27"].iterdir(), analyst_path(db), db]:
        assert path.stat().st_mode & 0o777 == 0o640, path
