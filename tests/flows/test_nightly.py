"""The nightly pipeline on the shared sample night, as plain functions and once under Prefect."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from pensionlink.connectors import SourceRejected
from pensionlink.expectations import PrivacyError
from pensionlink.expectations.validate import NightValidator
from pensionlink.flows.nightly import fresh_start, record_failed_run, run_night

from pensionlink.settings import Settings, load_policy
from pensionlink.warehouse.run_record import run_id
from pensionlink.warehouse.store import connect_database, stages_of

AS_OF = dt.date(2026, 11, 28)
TABLES = (
    "deaths_to_deregister",
    "uninsured_eligible",
    "duplicate_funeral_benefits",
    "coverage_by_area",
)
WRONGLY_DEAD = ("222405194408239619", "222405194201284607")  # hukou 死亡, later visits


def settings(extracts: Path, db: Path) -> Settings:
    return Settings(extracts=extracts, db=db, as_of=AS_OF, policy=load_policy(AS_OF))


def counts(db: Path) -> dict[str, int]:
    with connect_database(db) as con:
        return {
            t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in (*TABLES, "runs")
        }


@pytest.fixture(scope="module")
def published(sample_night: Path, tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("wh") / "pensionlink.duckdb"
    run_night(settings(sample_night, db))
    return db


def test_sample_night_fills_every_table(published: Path):
    n = counts(published)
    assert all(n[t] > 0 for t in TABLES), n
    assert n["runs"] == 1


def test_living_people_reported_dead_are_never_confirmed(published: Path):
    with connect_database(published) as con:
        rows = con.execute(
            "SELECT citizen_id, decision, reason FROM deaths_to_deregister "
            "WHERE citizen_id IN (?, ?)",
            list(WRONGLY_DEAD),
        ).fetchall()
    assert len(rows) == 2
    assert all(decision == "review" and "就诊" in reason for _, decision, reason in rows)


def test_sample_night_publishes_with_nothing_rejected(published: Path):
    with connect_database(published) as con:
        assert con.execute("SELECT count(*) FROM rejected_rows").fetchone() == (0,)


def test_the_as_of_date_reaches_the_connectors(sample_night: Path, tmp_path):
    night = tmp_path / "night"
    shutil.copytree(sample_night, night)
    payments = night / "social_security" / "pension_payments.csv"
    lines = payments.read_bytes().split(b"\r\n")
    lines[1] = lines[1].replace(b",202411,", b",202612,")  # a month after the as-of date
    payments.write_bytes(b"\r\n".join(lines))
    db = tmp_path / "pensionlink.duckdb"
    run_night(settings(night, db))
    with connect_database(db) as con:
        rows = con.execute('SELECT source, line, "column", value, reason FROM rejected_rows')
        assert rows.fetchall() == [
            (
                "pension_payments",
                2,
                "发放年月",
                "202612",
                "日期晚于核查日期 after the as-of date 2026-11-28",
            )
        ]


def test_a_first_night_without_a_readable_hukou_publishes_nothing(sample_night: Path, tmp_path):
    db = tmp_path / "new.duckdb"
    night = tmp_path / "night"
    shutil.copytree(sample_night, night)
    (night / "public_security" / "hukou.csv").write_text("姓名,性别\n金,男\n", encoding="utf-8")
    with pytest.raises(SourceRejected, match=r"hukou\.csv.*never accepted"):
        run_night(settings(night, db))
    with connect_database(db) as con:  # nothing published, failure recorded
        assert con.execute("SELECT count(*) FROM deaths_to_deregister").fetchone() == (0,)
        ((status, error),) = con.execute("SELECT status, error FROM runs").fetchall()
    assert status == "failed" and "hukou.csv" in error


def test_flow_runs_under_prefect(sample_night: Path, tmp_path, prefect_api):
    from pensionlink.flows.nightly import nightly

    db = tmp_path / "flow.duckdb"
    summary = nightly(extracts=str(sample_night), db=str(db), as_of=AS_OF.isoformat())
    assert summary["deaths"] == counts(db)["deaths_to_deregister"]
    assert counts(db)["runs"] == 1


def test_drop_root_flow_runs_the_newest_night_once(sample_night: Path, tmp_path, prefect_api):
    from pensionlink.flows.drop_root import nightly_from_drop_root, published_nights

    root = tmp_path / "drops"
    shutil.copytree(sample_night, root / "2026-11-27")
    shutil.copytree(sample_night, root / "2026-11-28")
    db = tmp_path / "served.duckdb"
    summary = nightly_from_drop_root(drop_root=str(root), db=str(db), quiet_seconds=0)
    assert summary["as_of"] == AS_OF
    assert published_nights(db) == {AS_OF}
    assert nightly_from_drop_root(drop_root=str(root), db=str(db), quiet_seconds=0) is None
    assert counts(db)["runs"] == 1


STAGES = ["read", "check", "link", "findings", "cases", "publish", "analyst", "report"]


def stages(db: Path) -> list[dict]:
    """The run's stages as its readers see them: kept beside the database, else its row."""
    with connect_database(db) as con:
        run_id, recorded = con.execute("SELECT run_id, stages FROM runs").fetchone()
    row = [(s["stage"], s["seconds"]) for s in recorded]
    return [{"stage": n, "seconds": sec} for n, sec in stages_of(db, run_id, row)]


def test_runs_stages_hold_every_stage(published: Path):
    recorded = stages(published)
    assert [s["stage"] for s in recorded] == STAGES
    assert all(s["seconds"] >= 0 for s in recorded)


def test_stage_times_not_recorded_leave_the_night_published(
    sample_night: Path, tmp_path, monkeypatch
):
    def fail(*_args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("pensionlink.flows.nightly.record_stages", fail)
    db = tmp_path / "pensionlink.duckdb"
    summary = run_night(settings(sample_night, db))
    assert summary["status"] == "published"
    assert list(summary["stages"]) == STAGES
    with connect_database(db) as con:
        assert con.execute("SELECT status FROM runs").fetchall() == [("published",)]
    assert [s["stage"] for s in stages(db)] == STAGES[:5]  # as written before publishing


def test_data_docs_that_cannot_be_written_leave_the_night_published(
    published: Path, sample_night: Path, tmp_path, monkeypatch
):
    """The check answers before it writes its Data Docs; docs that fail afterwards (here
    a page that held an ID-like string, deleted) are set aside, the live ones stay, and
    the night they describe is published all the same."""
    db = tmp_path / "pensionlink.duckdb"
    shutil.copy(published, db)
    shutil.copytree(published.parent / "data-docs", tmp_path / "data-docs")
    live = sorted(p.relative_to(tmp_path) for p in (tmp_path / "data-docs").rglob("*"))

    def leaking(self, docs_dir):
        docs_dir.mkdir(parents=True)
        raise PrivacyError("1 Data Docs pages held an ID-like string")

    monkeypatch.setattr(NightValidator, "build_docs", leaking)
    later = Settings(
        extracts=sample_night, db=db, as_of=AS_OF + dt.timedelta(days=1), policy=load_policy(AS_OF)
    )
    summary = run_night(later)
    assert summary["status"] == "published"
    with connect_database(db) as con:
        assert con.execute("SELECT status FROM runs ORDER BY started_at").fetchall() == [
            ("published",),
            ("published",),
        ]
    after = sorted(p.relative_to(tmp_path) for p in (tmp_path / "data-docs").rglob("*"))
    failed = Path("data-docs") / "failed"
    assert [p for p in after if failed not in p.parents and p != failed] == live
    assert (tmp_path / "data-docs" / "failed" / summary["run_id"]).is_dir()


def test_a_night_never_takes_an_earlier_run_s_id(tmp_path):
    """Ids are to the second: a night started within the second of an earlier run of the
    same database (two short nights in a row) waits for the next one."""
    night = settings(tmp_path, tmp_path / "pensionlink.duckdb")
    assert fresh_start(night) - dt.datetime.now() < dt.timedelta(seconds=1)  # no database
    now = dt.datetime.now()
    earlier = [now + dt.timedelta(seconds=s) for s in (0, 1)]  # the second may turn meanwhile
    for started in earlier:
        record_failed_run(night, started, [], RuntimeError("an earlier run"))
    started = fresh_start(night)
    assert run_id(night, started) not in {run_id(night, e) for e in earlier}
    assert started > now


def test_a_database_not_readable_now_is_left_to_the_read_stage(tmp_path):
    """The id check is no stage of the night: what keeps it from the database (a share not
    mounted yet, a wrong key, a damaged file) the read stage meets, with its retries, and
    records as a failed run."""
    db = tmp_path / "pensionlink.duckdb"
    db.write_bytes(b"not a database, or not yet one" * 100)
    before = dt.datetime.now()
    assert fresh_start(settings(tmp_path, db)) - before < dt.timedelta(seconds=1)
