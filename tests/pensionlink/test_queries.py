"""The named queries: the warehouse runs only them, and their values go in as parameters."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from pensionlink.warehouse import queries
from pensionlink.warehouse.stage_times import stage_times_path
from pensionlink.warehouse.store import open_warehouse, record_stages, stages_of
from tests.pensionlink.tiny_warehouse import publish_night as publish_tiny

AS_OF = dt.date(2026, 11, 28)


def test_the_warehouse_takes_no_sql_text(tmp_path: Path):
    publish_tiny(tmp_path / "w.duckdb", AS_OF, {"三合镇": 3}, dt.datetime(2026, 11, 29, 1))
    with open_warehouse(tmp_path / "w.duckdb", read_only=True) as warehouse:
        with pytest.raises(TypeError):
            warehouse.frame("SELECT * FROM runs")
        assert warehouse.frame(queries.published_nights())["as_of"].to_list() == [AS_OF]


def test_values_are_parameters_never_text():
    query = queries.report_rows("coverage_by_area", "run'; DROP TABLE runs; --")
    assert "DROP" not in query.sql
    assert query.params == ("run'; DROP TABLE runs; --",)
    assert queries.report_rows("coverage_by_area").params == ()
    with pytest.raises(ValueError):
        queries.report_rows("runs; DROP TABLE runs")
    with pytest.raises(ValueError):
        queries.evaluation_rows("snapshots.hukou", ["*"])


def test_one_runs_history_rows_are_read_by_run(tmp_path: Path):
    db = tmp_path / "w.duckdb"
    first, _ = publish_tiny(db, AS_OF, {"三合镇": 3}, dt.datetime(2026, 11, 29, 1))
    publish_tiny(db, AS_OF + dt.timedelta(days=1), {"三合镇": 5}, dt.datetime(2026, 11, 30, 1))
    with open_warehouse(db, read_only=True) as warehouse:
        live = warehouse.frame(queries.report_rows("coverage_by_area"))
        then = warehouse.frame(queries.report_rows("coverage_by_area", first))
    assert live["residents_16_plus"].to_list() == [5]
    assert then["residents_16_plus"].to_list() == [3]


def test_a_runs_stages_are_kept_beside_the_database_then_folded_in(tmp_path: Path):
    """The stages after publishing go beside the database (no staged copy of it for a few
    numbers); readers see them at once; the next publish folds them into `runs.stages`
    and drops the file."""
    db = tmp_path / "w.duckdb"
    run_id, _ = publish_tiny(db, AS_OF, {"三合镇": 3}, dt.datetime(2026, 11, 29, 1))
    before = db.stat().st_mtime_ns
    record_stages(db, run_id, [("read", 1.23456), ("publish", 0.5), ("report", 2.0)])
    assert db.stat().st_mtime_ns == before  # the database is not rewritten
    every = [("read", 1.235), ("publish", 0.5), ("report", 2.0)]
    assert stages_of(db, run_id, []) == every
    assert stages_of(db, "another-run", [("read", 9.0)]) == [("read", 9.0)]
    publish_tiny(db, AS_OF + dt.timedelta(days=1), {"三合镇": 5}, dt.datetime(2026, 11, 30, 1))
    assert not stage_times_path(db).exists()
    with open_warehouse(db, read_only=True) as warehouse:
        rows = warehouse._frame("SELECT run_id, stages FROM runs ORDER BY run_id")
    assert rows["stages"][0].to_list() == [
        {"stage": "read", "seconds": 1.235},
        {"stage": "publish", "seconds": 0.5},
        {"stage": "report", "seconds": 2.0},
    ]


def test_unreadable_stage_times_lose_the_times_not_the_night(tmp_path: Path):
    db = tmp_path / "w.duckdb"
    run_id, _ = publish_tiny(db, AS_OF, {"三合镇": 3}, dt.datetime(2026, 11, 29, 1))
    stage_times_path(db).write_text("{not json", encoding="utf-8")
    assert stages_of(db, run_id, [("read", 1.0)]) == [("read", 1.0)]
    publish_tiny(db, AS_OF + dt.timedelta(days=1), {"三合镇": 5}, dt.datetime(2026, 11, 30, 1))
    with open_warehouse(db, read_only=True) as warehouse:
        assert warehouse._frame("SELECT count(*) AS n FROM runs")["n"][0] == 2
