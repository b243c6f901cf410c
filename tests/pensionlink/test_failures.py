"""The words of a failure (`pensionlink.failures`): `runs.error`, the console's one line,
signals turned into `Stopped`, and the folders a run's Data Docs move between."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pensionlink.failures import (
    Stopped,
    error_text,
    failure_line,
    is_internal,
    note_stage,
    orderly_stop,
    reached,
)
from pensionlink.warehouse.publication import StagingFailed, publish_folder, set_aside_folder

DB = Path("/data/pensionlink/pensionlink.duckdb")
A_VALUE = "222405194408239619"  # what a library's message might quote


def full_disk() -> OSError:
    return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(DB.with_name(".staging")))


def test_runs_error_names_the_stage_the_class_and_the_errno():
    exc = full_disk()
    note_stage(exc, "publish")
    assert error_text(exc) == "publish: OSError ENOSPC No space left on device"
    try:  # the staging copy wraps the OSError: the errno is found on its cause
        try:
            raise full_disk()
        except OSError as inner:
            raise StagingFailed(f"{DB}: cannot make the staging copy") from inner
    except StagingFailed as wrapped:
        assert error_text(wrapped, "publish") == "publish: OSError ENOSPC No space left on device"
    io = duckdb.IOException(f'Could not write file "{DB}": No space left on device')
    assert error_text(io, "publish") == "publish: IOException ENOSPC No space left on device"
    assert error_text(ValueError(f"bad value {A_VALUE}"), "link") == "link: ValueError"
    assert error_text(Stopped(signal.SIGTERM), "read") == "read: SIGTERM 已中断 stopped"
    assert error_text(KeyboardInterrupt(), "check") == "check: SIGINT 已中断 stopped"


def test_the_innermost_stage_wins_and_an_unmarked_failure_is_at_start_up():
    exc = full_disk()
    assert reached(exc).stage == "start"
    note_stage(exc, "publish")
    note_stage(exc, "docs", published=True)
    assert reached(exc).stage == "publish" and not reached(exc).published
    try:
        try:
            raise exc
        except OSError:
            raise Stopped(signal.SIGTERM) from None
    except Stopped as later:  # the stage travels along the exception's context
        assert reached(later).stage == "publish"


def test_the_console_line_says_what_failed_and_that_the_night_is_whole():
    exc = full_disk()
    note_stage(exc, "publish")
    line = failure_line(exc, DB, {})
    assert line == (
        "发布失败 publish failed: 磁盘已满 no space left on device "
        f"({DB.with_name('.staging')}); 未发布 nothing published; "
        f"上一晚的结果完整保留 the last published night is unchanged ({DB})"
    )
    stopped = Stopped(signal.SIGTERM)
    note_stage(stopped, "read")
    assert failure_line(stopped, DB, {}).startswith(
        "已中断 stopped by SIGTERM during read (读取); 未发布 nothing published"
    )
    late = Stopped(signal.SIGINT)
    note_stage(late, "report", published=True)
    assert "本晚已完整发布 tonight's night is published whole" in failure_line(late, DB, {})


def test_a_library_message_never_reaches_the_line():
    bug = ValueError(f"cannot parse {A_VALUE}")
    note_stage(bug, "findings")
    line = failure_line(bug, DB, {})
    assert A_VALUE not in line and "内部错误 internal error (ValueError" in line
    assert is_internal(bug)
    db_error = duckdb.ConversionException(f"Could not convert string '{A_VALUE}' to INT32")
    note_stage(db_error, "publish")
    line = failure_line(db_error, DB, {"publish": DB})
    assert A_VALUE not in line and "database error (ConversionException)" in line
    assert not is_internal(db_error) and not is_internal(full_disk())


def test_sigterm_and_sigint_become_stopped_inside_the_block_only():
    before = signal.getsignal(signal.SIGTERM)
    for signum in (signal.SIGTERM, signal.SIGINT):
        with pytest.raises(Stopped) as stopped, orderly_stop() as received:
            os.kill(os.getpid(), signum)
            for _ in range(1000):  # the handler runs between two bytecodes
                pass
        assert stopped.value.signum == signum and stopped.value.exit_code == 128 + signum
        assert received == [signum]
    assert signal.getsignal(signal.SIGTERM) is before


_SWEEP = """
import subprocess, sys
from pensionlink.failures import stop_leftover_servers
sleep = [sys.executable, "-c", "import time; time.sleep(120)"]
server = subprocess.Popen([*sleep, "uvicorn", "prefect.server.api.server:create_app"])
other = subprocess.Popen(sleep)
try:
    stopped = stop_leftover_servers(timeout=10)
    server_done = server.poll() is not None or server.wait(timeout=5) is not None
    print(stopped == [server.pid], server_done, other.poll() is None)
finally:
    for proc in (server, other):
        proc.kill()
        proc.wait()
"""


def test_only_prefects_server_children_are_stopped():
    # In a child process of its own: this test process may have a real Prefect server
    # child (the shared test harness), which the sweep must not be pointed at.
    out = subprocess.run(
        [sys.executable, "-c", _SWEEP], capture_output=True, text=True, timeout=60, check=True
    )
    assert out.stdout.split() == ["True", "True", "True"]


def test_published_data_docs_are_replaced_whole_and_failed_ones_set_aside(tmp_path: Path):
    live = tmp_path / "data-docs"
    (live / "validations").mkdir(parents=True)
    (live / "index.html").write_text("old")
    (live / "validations" / "old.html").write_text("old")
    (live / "failed" / "earlier").mkdir(parents=True)
    other_run = live / ".staging-other"
    other_run.mkdir()
    staged = live / ".staging-20261129T020000-20261129"
    (staged / "validations").mkdir(parents=True)
    (staged / "index.html").write_text("new")
    (staged / "validations" / "new.html").write_text("new")
    publish_folder(staged, live, keep=("failed",))
    assert sorted(p.relative_to(live).as_posix() for p in live.rglob("*")) == [
        ".staging-other",
        "failed",
        "failed/earlier",
        "index.html",
        "validations",
        "validations/new.html",
    ]
    assert (live / "index.html").read_text() == "new"
    moved = set_aside_folder(other_run, live / "failed" / "earlier")
    assert moved is not None and moved.parent == live / "failed" and moved.name != "earlier"
    assert not other_run.exists() and (live / "failed" / "earlier").is_dir()
    assert set_aside_folder(tmp_path / "never-written", live / "failed" / "x") is None


def test_the_database_is_named_once_when_it_is_what_failed():
    db_error = duckdb.IOException("Could not write file")
    note_stage(db_error, "publish")
    line = failure_line(db_error, DB, {"publish": DB})
    assert line.count(str(DB)) == 1
    assert line.endswith("上一晚的结果完整保留 the last published night is unchanged")
    late = duckdb.IOException("Could not write file")
    note_stage(late, "analyst", published=True)
    assert failure_line(late, DB, {}).count(str(DB)) == 1
    elsewhere = full_disk()  # the staging copy failed: both paths are named
    note_stage(elsewhere, "publish")
    line = failure_line(elsewhere, DB, {})
    assert line.count(str(DB)) == 1 and str(DB.with_name(".staging")) in line


def test_reports_not_written_logs_the_error_type_not_its_message(monkeypatch, tmp_path):
    """After publishing, a report that fails is logged by type: its message could quote data."""
    import logging
    from concurrent.futures import ThreadPoolExecutor

    import polars as pl
    from pensionlink.flows import nightly

    monkeypatch.setattr(nightly, "summarise", lambda run, tables: {"stages": {}})
    lines: list[str] = []
    log = logging.getLogger("test.after_publish")
    handler = logging.Handler()
    handler.emit = lambda record: lines.append(record.getMessage())
    log.addHandler(handler)
    monkeypatch.setattr(nightly, "log", log)
    settings = type("S", (), {"db": tmp_path / "x.duckdb"})()

    def report(db, run_id):
        raise OSError(errno.ENAMETOOLONG, f"File name too long: {A_VALUE}.xlsx")

    with ThreadPoolExecutor(2) as pool:
        summary = nightly._after_publish(
            settings,
            pl.DataFrame({"run_id": ["r1"]}),
            "published",
            {},
            [("publish", 1.0)],
            tmp_path / "none",
            True,  # the Data Docs were written
            nightly._Beside(pool),
            lambda db: db,
            report,
        )
    log.removeHandler(handler)
    assert summary["reports"] is None
    assert "报表未生成 reports not written: OSError" in lines
    assert not any(A_VALUE in line for line in lines)
