"""The named queries: the warehouse runs only them, and their values go in as parameters."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from pensionlink.warehouse import queries
from pensionlink.warehouse.store import open_warehouse, record_stages
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


def test_a_runs_stages_are_replaced_by_every_stage(tmp_path: Path):
    db = tmp_path / "w.duckdb"
    run_id, _ = publish_tiny(db, AS_OF, {"三合镇": 3}, dt.datetime(2026, 11, 29, 1))
    record_stages(db, run_id, [("read", 1.23456), ("publish", 0.5), ("report", 2.0)])
    with open_warehouse(db, read_only=True) as warehouse:
        (stages,) = warehouse._frame("SELECT stages FROM runs")["stages"].to_list()
    assert stages == [
        {"stage": "read", "seconds": 1.235},
        {"stage": "publish", "seconds": 0.5},
        {"stage": "report", "seconds": 2.0},
    ]
