"""A night on a local two-worker Dask cluster publishes what one process publishes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from pensionlink.flows.nightly import run_night
from pensionlink.synth.generate import generate_night

from pensionlink.settings import Settings, load_policy
from pensionlink.warehouse.store import connect_database

AS_OF = dt.date(2026, 11, 28)
#: Columns that name the run or the moment (they differ between two runs of one night).
RUN_STAMPED = {
    "run_id",
    "first_seen_run",
    "opened_run",
    "last_seen_run",
    "closed_run",
    "at",
    "started_at",
    "finished_at",
    "decided_at",
    "accepted_at",
    "stages",
    "run_by",
}


def published_rows(db: Path) -> dict[str, list]:
    """Every table of the database, each row without its run stamps, sorted."""
    with connect_database(db) as con:
        tables = [
            name
            for (name,) in con.execute(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = 'main' ORDER BY 1"
            ).fetchall()
        ]
        out = {}
        for table in tables:
            columns = [
                c
                for (c,) in con.execute(
                    "SELECT column_name FROM information_schema.columns "
                    "WHERE table_name = ? ORDER BY ordinal_position",
                    [table],
                ).fetchall()
                if c not in RUN_STAMPED
            ]
            listed = ", ".join(f'"{c}"' for c in columns)
            out[table] = con.execute(f"SELECT {listed} FROM {table} ORDER BY ALL").fetchall()
    return out


def parts_run() -> int:
    """How many partition tasks the Prefect API saw complete."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import TaskRunFilter, TaskRunFilterName

    with get_client(sync_client=True) as client:
        runs = client.read_task_runs(
            task_run_filter=TaskRunFilter(name=TaskRunFilterName(like_="分区"))
        )
    return sum(1 for r in runs if r.state and r.state.is_completed())


@pytest.fixture(scope="module")
def night(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("dask-night") / "night"
    generate_night(path, people=3000, seed=7, as_of=AS_OF, noise=2.0)
    return path


def test_a_night_on_two_dask_workers_is_identical_to_one_process(night, tmp_path, prefect_api):
    from pensionlink.flows.cluster import dask_task_runner
    from pensionlink.flows.nightly import nightly

    single = tmp_path / "single" / "pensionlink.duckdb"
    single.parent.mkdir()
    run_night(Settings(extracts=night, db=single, as_of=AS_OF, policy=load_policy(AS_OF)))
    on_dask = tmp_path / "dask" / "pensionlink.duckdb"
    on_dask.parent.mkdir()
    flow = nightly.with_options(task_runner=dask_task_runner(workers=2))
    summary = flow(extracts=str(night), db=str(on_dask), as_of=AS_OF.isoformat(), partitions=2)
    assert summary["status"] == "published"

    assert parts_run() >= 4  # two link parts, two findings parts (and scoring parts)

    expected, got = published_rows(single), published_rows(on_dask)
    assert sorted(got) == sorted(expected)
    assert all(expected[t] for t in ("person_links", "deaths_to_deregister", "review_queue"))
    assert {t for t in expected if got[t] != expected[t]} == set()
