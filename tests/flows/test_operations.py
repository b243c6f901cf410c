"""Nightly operations for real: re-runs, crashes at every point of publishing (and a real
SIGKILL from outside), analysts reading during a run, a drop folder still being written."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pytest
from pensionlink.flows.drop_root import (
    DropNotReady,
    drop_date,
    newest_pending_drop,
    published_nights,
    wait_until_settled,
)
from pensionlink.flows.nightly import run_night

from pensionlink.settings import Settings, load_policy
from pensionlink.warehouse.publication import staging_path
from pensionlink.warehouse.store import connect_database
from tests.conftest import REPO

FIRST, SECOND = dt.date(2026, 11, 28), dt.date(2026, 11, 29)
FINDINGS = ("deaths_to_deregister", "uninsured_eligible", "duplicate_funeral_benefits")
RUN_SECOND_NIGHT = """
import datetime as dt, sys
from pathlib import Path
from pensionlink.flows.nightly import run_night
from pensionlink.settings import Settings, load_policy
day = dt.date(2026, 11, 29)
run_night(Settings(extracts=Path(sys.argv[1]), db=Path(sys.argv[2]), as_of=day,
                   policy=load_policy(day)))
"""
# The four crash points of publishing, patched into a child's code (never in the product):
# `crash_at(point)` wraps functions the publish path calls so the child is SIGKILLed there,
# or, given a marker file, touches it and waits there for a signal from outside.
CRASH_AT = """
import os, signal, time
from pathlib import Path
import pensionlink.warehouse.publication as publication
import pensionlink.warehouse.store as store

def crash_at(point, marker=None):
    def stop():
        if marker:
            Path(marker).touch()
            while True:  # wait for the test's signal
                time.sleep(0.05)
        os.kill(os.getpid(), signal.SIGKILL)

    def staging(path):
        return Path(path).name.endswith(".staging")

    if point == "staged":  # the staging copy is made, nothing written to it yet
        is_encrypted = store.is_encrypted
        def stop_on_staging(path):
            if staging(path):
                stop()
            return is_encrypted(path)
        store.is_encrypted = stop_on_staging
    elif point == "mid_publish":  # tables written on both connections, into the staged copy
        import threading
        replace_table, written = store.replace_table, []
        def write_then_stop(*args):
            if written and threading.current_thread() is threading.main_thread():
                stop()  # in the main connection, once a table is written
            replace_table(*args)
            written.append(args[0])
        store.replace_table = write_then_stop
    elif point in ("written", "replaced"):
        fsync = publication._fsync
        def fsync_then_stop(path):
            if point == "written" and staging(path):  # checkpointed, before the rename
                stop()
            fsync(path)
            if point == "replaced" and Path(path).is_dir():  # renamed and synced
                stop()
        publication._fsync = fsync_then_stop
    else:
        raise ValueError(point)
"""


def crashing(point: str, marker: Path | None = None) -> str:
    """RUN_SECOND_NIGHT stopping at `point` (see CRASH_AT)."""
    args = f"{point!r}, {str(marker)!r}" if marker else repr(point)
    return f"{CRASH_AT}\ncrash_at({args})\n{RUN_SECOND_NIGHT}"


HOLD_READER = """
import sys
from pensionlink.warehouse.store import connect_database
con = connect_database(sys.argv[1])
def latest():
    return con.execute("SELECT max(run_id) FROM coverage_by_area").fetchone()[0]
print(latest(), flush=True)
sys.stdin.readline()  # hold the file open until told
print(latest(), flush=True)
"""


def run(extracts: Path, db: Path, day: dt.date = FIRST) -> dict:
    return run_night(Settings(extracts=extracts, db=db, as_of=day, policy=load_policy(day)))


def state(db: Path) -> dict:
    """What analysts see: the runs and every finding table, row by row."""
    with connect_database(db) as con:
        out = {"runs": con.execute("SELECT run_id, status FROM runs ORDER BY run_id").fetchall()}
        for table in (*FINDINGS, "coverage_by_area"):
            out[table] = con.execute(
                f"SELECT * EXCLUDE (run_id) FROM {table} ORDER BY ALL"
            ).fetchall()
            out[f"{table}_run"] = con.execute(f"SELECT DISTINCT run_id FROM {table}").fetchall()
    return out


def child(code: str, *args: str, **env: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", code, *args],
        cwd=REPO,
        env={**os.environ, **env},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group: what it leaves behind can be found
    )


@pytest.fixture(scope="module")
def first_night(sample_night: Path, tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("ops") / "first.duckdb"
    run(sample_night, db)
    return db


@pytest.fixture
def db(first_night: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "pensionlink.duckdb"
    shutil.copy(first_night, copy)
    return copy


def test_the_same_night_twice_gives_the_same_findings_and_one_history_entry(
    db: Path, sample_night: Path, tmp_path: Path
):
    before = state(db)
    run(sample_night, db)
    after = state(db)
    assert all(after[t] == before[t] for t in (*FINDINGS, "coverage_by_area"))
    assert [s for _, s in after["runs"]] == ["superseded", "published"]
    with connect_database(db) as con:
        for table in (*FINDINGS, "coverage_by_area"):
            (nights,) = con.execute(
                f"SELECT count(DISTINCT run_id) FROM {table}_history"
            ).fetchone()
            (rows,) = con.execute(f"SELECT count(*) FROM {table}_history").fetchone()
            assert nights == 1 and rows == len(after[table]), table
    # new inputs for the same night (a file changed) keep both entries
    night = tmp_path / "redelivered"
    shutil.copytree(sample_night, night)
    visits = night / "health" / "visits.csv"
    lines = visits.read_text(encoding="utf-8").splitlines(keepends=True)
    visits.write_text("".join(lines[:-1]), encoding="utf-8")
    run(night, db)
    with connect_database(db) as con:
        (nights,) = con.execute(
            "SELECT count(DISTINCT run_id) FROM coverage_by_area_history"
        ).fetchone()
    assert nights == 2


@pytest.mark.parametrize("point", ["staged", "mid_publish", "written"])
def test_a_run_killed_before_the_switch_leaves_the_last_night_whole(
    db: Path, sample_night: Path, point: str
):
    before = state(db)
    proc = child(crashing(point), str(sample_night), str(db))
    proc.communicate(timeout=300)
    assert proc.returncode == -signal.SIGKILL
    assert state(db) == before
    run(sample_night, db, SECOND)  # the next run starts clean, nothing to do by hand
    after = state(db)
    assert len(after["runs"]) == len(before["runs"]) + 1
    assert not staging_path(db).exists()


def test_a_run_killed_after_the_switch_has_published_the_new_night(db: Path, sample_night):
    before = state(db)
    proc = child(crashing("replaced"), str(sample_night), str(db))
    proc.communicate(timeout=300)
    assert proc.returncode == -signal.SIGKILL
    after = state(db)
    assert len(after["runs"]) == len(before["runs"]) + 1
    assert after["coverage_by_area_run"] != before["coverage_by_area_run"]
    assert published_nights(db) == {FIRST, SECOND}


def test_sigkill_from_outside_in_the_middle_of_publishing(db: Path, sample_night, tmp_path):
    before = state(db)
    marker = tmp_path / "paused"
    proc = child(crashing("mid_publish", marker), str(sample_night), str(db))
    deadline = time.monotonic() + 300
    while not marker.exists():
        assert proc.poll() is None, proc.communicate()[1][-2000:]
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert staging_path(db).exists()  # half a night written, in the staging copy only
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert state(db) == before
    run(sample_night, db, SECOND)
    assert not staging_path(db).exists() and published_nights(db) == {FIRST, SECOND}


def test_a_run_while_an_analyst_holds_the_file_open(db: Path, sample_night: Path):
    reader = child(HOLD_READER, str(db))
    old_run = reader.stdout.readline().strip()
    assert old_run
    summary = run(sample_night, db, SECOND)  # does not fail on the reader's lock
    assert summary["run_id"] != old_run
    reader.stdin.write("\n")
    reader.stdin.flush()
    still_seen = reader.stdout.readline().strip()
    reader.wait(timeout=30)
    assert still_seen == old_run  # the open connection keeps the previous night, whole
    with connect_database(db) as con:  # a new connection sees the new one
        assert con.execute("SELECT max(run_id) FROM coverage_by_area").fetchone() == (
            summary["run_id"],
        )


def test_reports_after_publishing_show_the_new_night(db: Path, sample_night: Path):
    # duckdb#20748: re-opening a replaced file in one process must not give stale data
    summary = run(sample_night, db, SECOND)
    html = (db.parent / "reports" / "2026-11-29" / "汇总_2026-11-29.html").read_text("utf-8")
    assert summary["run_id"] in html


def test_drop_folders_are_named_by_date(tmp_path: Path):
    assert drop_date(Path("2026-11-28")) == FIRST
    assert drop_date(Path("20261129")) == SECOND
    assert drop_date(Path("2026-02-30")) is None and drop_date(Path("latest")) is None
    for name in ("2026-11-27", "20261128", "notes"):
        (tmp_path / name).mkdir()
    assert newest_pending_drop(tmp_path, set()) == (FIRST, tmp_path / "20261128")
    assert newest_pending_drop(tmp_path, {FIRST}) is None


def test_a_folder_still_being_written_is_waited_for(tmp_path: Path):
    folder = tmp_path / "2026-11-28"
    folder.mkdir()
    growing = folder / "visits.csv"
    done = {}

    def deliver():
        with growing.open("a") as f:
            for _ in range(8):
                f.write("x" * 1000 + "\n")
                f.flush()
                done["last_write"] = time.monotonic()
                time.sleep(0.15)

    writer = threading.Thread(target=deliver)
    writer.start()
    time.sleep(0.05)
    wait_until_settled(folder, quiet_seconds=0.5, poll_seconds=0.05)
    returned = time.monotonic()
    writer.join()
    assert returned >= done["last_write"] + 0.5  # quiet for 0.5 s after the last write
    (folder / "hukou.csv.part").write_text("partial")
    with pytest.raises(DropNotReady, match="still being written"):
        wait_until_settled(folder, quiet_seconds=0.1, poll_seconds=0.05, max_wait_seconds=0.5)


def test_an_unencrypted_database_left_with_a_wal_by_an_older_version_keeps_its_data(tmp_path: Path):
    from pensionlink.warehouse.store import write_warehouse

    db = tmp_path / "legacy.duckdb"
    con = duckdb.connect(str(db))
    con.execute("SET checkpoint_threshold = '1TB'")  # keep the rows in the WAL
    con.execute("CREATE TABLE keep AS SELECT 42 AS answer")
    shutil.copy(db, tmp_path / "copy.duckdb")
    wal = db.with_name(db.name + ".wal")
    assert wal.exists()
    shutil.copy(wal, tmp_path / "copy.duckdb.wal")  # the file as a crash would leave it
    con.close()
    db.unlink()
    wal.unlink(missing_ok=True)
    (tmp_path / "copy.duckdb").rename(db)
    (tmp_path / "copy.duckdb.wal").rename(wal)
    with write_warehouse(db) as warehouse:
        assert warehouse._frame("SELECT answer FROM keep").item() == 42
    assert not wal.exists()
    with connect_database(db) as con:
        assert con.execute("SELECT answer FROM keep").fetchone() == (42,)
