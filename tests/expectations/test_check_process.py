"""The check in a process of its own: the same results and Data Docs as in this process,
its log lines here, nothing private handed over, and the process gone afterwards."""

from __future__ import annotations

import logging
import os
import signal
import time
from pathlib import Path

import polars as pl
import pytest
from pensionlink.connectors import read_night
from pensionlink.expectations import PRIVATE_COLUMNS, find_id_like, validate_night
from pensionlink.expectations.check_process import (
    CheckProcess,
    CheckProcessFailed,
    check_process_started,
)
from pensionlink.expectations.validate import prepared_night

PLANTED_ID = "222405199001011236"


@pytest.fixture(scope="module")
def night(sample_night: Path) -> dict[str, pl.DataFrame]:
    frames = read_night(sample_night).frames
    hukou = frames["hukou"].with_columns(
        hukou_status=pl.when(pl.int_range(pl.len()) == 0)
        .then(pl.lit("活着"))
        .otherwise(pl.col("hukou_status")),
        citizen_id=pl.lit(PLANTED_ID),
    )
    return {**frames, "hukou": hukou, "poverty": frames["poverty"].drop("township")}


def test_the_process_gives_the_same_results_docs_and_log_lines(night, tmp_path, caplog):
    here = validate_night(night)
    with caplog.at_level(logging.INFO, logger="pensionlink.expectations"):
        process = CheckProcess()
        there = process.validate(night, tmp_path / "docs")
        process.docs_written()
    assert there.equals(here)
    assert not there.filter(pl.col("source") == "hukou")["success"][0]  # a real failure
    assert (tmp_path / "docs" / "index.html").is_file()
    assert find_id_like(tmp_path / "docs") == []
    lines = [r.getMessage() for r in caplog.records if r.name.startswith("pensionlink")]
    assert any(line.startswith("expectations hukou: ") for line in lines), lines
    assert any(line.startswith("Data Docs written to ") for line in lines)
    assert process._process.poll() == 0  # one night, one check: it has ended


def test_no_private_value_leaves_this_process(night):
    for source, frame in prepared_night(night).items():
        for column in PRIVATE_COLUMNS & set(frame.columns):
            assert frame[column].dtype in (pl.Boolean, pl.Int8), (source, column)
        assert frame.height == night[source].height or frame.width == 0, source
    assert PLANTED_ID not in str(prepared_night(night)["hukou"].to_dicts())
    unknown = pl.DataFrame({"citizen_id": [PLANTED_ID]})  # a source without a suite
    assert prepared_night({**night, "unknown": unknown})["unknown"].width == 0


def test_its_rows_come_in_the_callers_order(night):
    """The process takes the largest source first; the caller gets its own order back."""
    smallest_first = dict(sorted(night.items(), key=lambda item: item[1].height))
    assert list(smallest_first) != list(night)
    with CheckProcess() as process:
        assert process.validate(smallest_first)["source"].to_list() == list(smallest_first)


def _site_hook(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: str) -> None:
    """`code` run in the check's process at its start (a site hook Python imports)."""
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(code)
    monkeypatch.setenv("PYTHONPATH", str(hook))


def test_a_failed_check_there_is_its_own_error_here(night, tmp_path, monkeypatch):
    """A source whose check raises: the process reads the rest of the night it was sent
    (more than the pipe holds), so the caller gets that error, not a broken pipe."""
    _site_hook(
        tmp_path,
        monkeypatch,
        "import pensionlink.expectations.validate as v\n"
        "def _broken(self, source, frame, prepared):\n"
        "    raise ValueError('the check of ' + source + ' broke')\n"
        "v.NightValidator.run_suite = _broken\n",
    )
    big = {source: pl.concat([frame] * 200) for source, frame in night.items()}
    largest = max(night, key=lambda source: night[source].height)
    process = CheckProcess()
    with pytest.raises(ValueError, match=f"the check of {largest} broke"):  # checked first
        process.validate(big, tmp_path / "docs")
    assert process._process.wait(timeout=30) == 0
    assert not (tmp_path / "docs").exists()


def test_an_error_there_is_raised_here(night, tmp_path):
    docs = tmp_path / "docs"
    docs.write_text("a file where the docs folder should be")
    process = CheckProcess()
    assert process.validate(night, docs).height == len(night)  # answered before the docs
    with pytest.raises(OSError):
        process.docs_written()
    assert process._process.poll() == 0  # it answered with the error, then ended


def test_it_answers_before_it_writes_the_docs(night, tmp_path, monkeypatch):
    """The results come back while the Data Docs are still being written: the night
    goes on with them, and waits for the docs only when it publishes them."""
    _site_hook(  # the process's build_docs sleeps 3 s first
        tmp_path,
        monkeypatch,
        "import time, pensionlink.expectations.validate as v\n"
        "_build = v.NightValidator.build_docs\n"
        "def _slow(self, d):\n    time.sleep(3)\n    return _build(self, d)\n"
        "v.NightValidator.build_docs = _slow\n",
    )
    process = CheckProcess()
    process.validate(night, tmp_path / "docs")
    assert not (tmp_path / "docs" / "index.html").exists()
    process.docs_written()
    assert (tmp_path / "docs" / "index.html").is_file()
    assert process._process.poll() == 0


def test_the_night_takes_the_process_its_caller_started():
    with check_process_started():
        started = CheckProcess.for_the_night()
        assert CheckProcess.for_the_night() is started
    assert started._process.poll() is not None  # ended with the block, never asked
    own = CheckProcess.for_the_night()
    assert own is not started
    own.close()
    assert own._process.poll() is not None


def test_a_process_that_died_is_one_error_here(night):
    process = CheckProcess()
    process._process.kill()
    with pytest.raises(CheckProcessFailed, match="the check's process ended"):
        process.validate(night)


def test_ctrl_c_is_the_nights_to_decide(night, tmp_path):
    """Ctrl-C reaches the whole process group; the check's process leaves it to the night
    (which ends it with `close`), so it neither dies mid-check nor prints a traceback."""
    process = CheckProcess()
    time.sleep(2)  # started: past its first lines, importing GX
    os.kill(process._process.pid, signal.SIGINT)
    assert process.validate(night, tmp_path / "docs").height == len(night)


def test_a_night_that_stops_waiting_for_the_docs_hears_nothing_more(night, tmp_path, capfd):
    """Closed before its Data Docs were asked for (the night ended or was stopped), the
    process finishes them and ends quietly: no broken pipe on the operator's console."""
    process = CheckProcess()
    process.validate(night, tmp_path / "docs")
    process.close()  # without `docs_written`
    assert process._process.returncode == 0
    err = capfd.readouterr().err
    assert "Traceback" not in err and "BrokenPipe" not in err, err[-2000:]
