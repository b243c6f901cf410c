"""Nights in order: an older night run after a newer one only adds to the history."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pensionlink.flows.drop_root import published_nights

from pensionlink.reports import load_report_data
from pensionlink.warehouse.store import open_warehouse
from tests.pensionlink.tiny_warehouse import publish_night

NOV27, NOV20 = dt.date(2026, 11, 27), dt.date(2026, 11, 20)


def rows(db: Path, query: str) -> list[tuple]:
    with open_warehouse(db, read_only=True) as warehouse:
        return warehouse._frame(query).rows()


def test_an_older_night_writes_history_and_its_run_only(tmp_path: Path):
    db = tmp_path / "pensionlink.duckdb"
    newer, status = publish_night(db, NOV27, {"三合镇": 27}, dt.datetime(2026, 11, 28, 2))
    assert status == "published"
    older, status = publish_night(db, NOV20, {"三合镇": 20}, dt.datetime(2026, 11, 28, 9))
    assert status == "backfilled"
    # the live table is still the newer night's; the history has both
    assert rows(db, "SELECT run_id, residents_16_plus FROM coverage_by_area") == [(newer, 27)]
    assert sorted(
        rows(db, "SELECT run_id, residents_16_plus FROM coverage_by_area_history")
    ) == sorted([(newer, 27), (older, 20)])
    assert dict(rows(db, "SELECT run_id, status FROM runs")) == {
        newer: "published",
        older: "backfilled",
    }
    # every reader of `runs`: the reports read the latest night, the drop root knows both
    with open_warehouse(db, read_only=True) as warehouse:
        latest = load_report_data(warehouse)
        backfilled = load_report_data(warehouse, older)
        trail = warehouse.audit_trail()
    assert (latest.run_id, latest.as_of) == (newer, NOV27)
    assert latest.coverage["residents_16_plus"].to_list() == [27]
    assert (backfilled.as_of, backfilled.coverage["residents_16_plus"].to_list()) == (NOV20, [20])
    assert backfilled.coverage_trend["as_of"].to_list() == [NOV20]  # ends at its night
    assert latest.coverage_trend["as_of"].to_list() == [NOV20, NOV27]
    assert published_nights(db) == {NOV20, NOV27}
    assert any(d.startswith("backfilled，数据日期 2026-11-20") for d in trail["detail"])


def test_a_newer_night_after_a_backfill_is_live_again(tmp_path: Path):
    db = tmp_path / "pensionlink.duckdb"
    publish_night(db, NOV27, {"三合镇": 27}, dt.datetime(2026, 11, 28, 2))
    publish_night(db, NOV20, {"三合镇": 20}, dt.datetime(2026, 11, 28, 9))
    newest, status = publish_night(
        db, dt.date(2026, 11, 28), {"三合镇": 28}, dt.datetime(2026, 11, 29, 2)
    )
    assert status == "published"
    assert rows(db, "SELECT run_id, residents_16_plus FROM coverage_by_area") == [(newest, 28)]


def test_the_same_older_night_again_keeps_one_history_entry(tmp_path: Path):
    db = tmp_path / "pensionlink.duckdb"
    publish_night(db, NOV27, {"三合镇": 27}, dt.datetime(2026, 11, 28, 2))
    first, _ = publish_night(db, NOV20, {"三合镇": 20}, dt.datetime(2026, 11, 28, 9))
    again, status = publish_night(db, NOV20, {"三合镇": 20}, dt.datetime(2026, 11, 28, 10))
    assert status == "backfilled"
    statuses = dict(rows(db, "SELECT run_id, status FROM runs"))
    assert (statuses[first], statuses[again]) == ("superseded", "backfilled")
    history = pl.DataFrame(
        rows(db, "SELECT run_id FROM coverage_by_area_history"), schema=["run_id"], orient="row"
    )
    assert first not in history["run_id"].to_list() and again in history["run_id"].to_list()


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.integers(min_value=1, max_value=4), min_size=2, max_size=3))
def test_in_any_order_the_live_night_is_the_latest_and_history_keeps_every_night(
    tmp_path_factory, days: list[int]
):
    db = tmp_path_factory.mktemp("order") / "pensionlink.duckdb"
    runs = {}
    for i, day in enumerate(days):
        as_of = dt.date(2026, 11, day)
        started = dt.datetime(2026, 12, 1, 2) + dt.timedelta(minutes=i)
        run_id, status = publish_night(db, as_of, {"三合镇": day}, started)
        expected = "backfilled" if day < max(days[: i + 1]) else "published"
        assert status == expected
        runs[day] = run_id  # the same night again (same inputs): one entry, the last run
    assert rows(db, "SELECT residents_16_plus FROM coverage_by_area") == [(max(days),)]
    assert sorted(rows(db, "SELECT run_id, residents_16_plus FROM coverage_by_area_history")) == (
        sorted((run_id, day) for day, run_id in runs.items())
    )
