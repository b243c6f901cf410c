"""`pensionlink bench`: a small night through the command line, every stage, the floor and
the ratio in its output (no timing is asserted: timing belongs to the benchmark)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pensionlink.benchmark import STAGES, BenchRun, _between, median_run, stage_peaks
from pensionlink.warehouse.floor import Floor


def test_between_is_the_time_no_stage_recorded():
    # read starts at 1 s and takes 2 (ends at 3), link starts at 4: 1 s between;
    # link takes 5 (ends at 9), findings starts at 9: nothing between.
    marks = {"read": 1.0, "link": 4.0, "findings": 9.0}
    assert _between(marks, {"read": 2.0, "link": 5.0, "findings": 3.0}) == pytest.approx(1.0)


def test_a_stage_beside_the_others_is_not_in_the_line_between_them():
    # read 1–3, check (beside) from 3.1 for 5 s, link 3.5–6.5, findings from 7: the gaps
    # are read → link 0.5 and link → findings 0.5; check's overlap counts for nothing.
    marks = {"read": 1.0, "check": 3.1, "link": 3.5, "findings": 7.0}
    seconds = {"read": 2.0, "check": 5.0, "link": 3.0, "findings": 1.0}
    assert _between(marks, seconds) == pytest.approx(1.0)


def test_each_stage_peaks_over_the_seconds_it_ran():
    samples = [(0.5, 10), (1.5, 40), (2.5, 30), (3.5, 90), (4.5, 20), (5.5, 70)]
    marks = {"read": 1.0, "check": 2.0, "link": 3.0, "report": 5.45}
    seconds = {"read": 2.0, "check": 3.0, "link": 1.0, "report": 0.01}
    assert stage_peaks(samples, marks, seconds) == {
        "startup": 10,  # before the first line
        "read": 40,  # 1.0–3.0: 40, 30
        "check": 90,  # 2.0–5.0, beside link: 30, 90, 20
        "link": 90,  # 3.0–4.0
        "report": 70,  # shorter than a sample: the one nearest its start
    }


def _run(wall: float, read: float, peak: int) -> BenchRun:
    return BenchRun(
        wall=wall,
        stages={"read": read},
        peak_by_stage={"read": peak},
        peak=peak,
        maxrss=peak,
        floor=Floor(read_seconds=wall / 10, join_seconds=0.0, rows=5, joined=2),
    )


def test_every_figure_is_the_median_of_the_runs():
    median = median_run([_run(10.0, 1.0, 300), _run(30.0, 3.0, 100), _run(20.0, 2.0, 200)])
    assert (median.wall, median.stages, median.peak) == (20.0, {"read": 2.0}, 200)
    assert median.floor.seconds == pytest.approx(2.0)


@pytest.mark.slow
def test_bench_prints_every_stage_the_floor_and_the_ratio(tmp_path: Path):
    # Against a Prefect server of its own (started once, stopped after), as a scheduled
    # night runs; the runs' own temporary API is what every other CLI test starts.
    script = Path(sys.executable).with_name("pensionlink")
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "prefect")}
    env.pop("PREFECT_API_URL", None)
    arguments = ["--people", "2000", "--repeat", "1", "--work", str(tmp_path), "--prefect-server"]
    done = subprocess.run(
        [str(script), "bench", *arguments],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    table = {line.split()[0]: line.split()[1:] for line in lines if line.startswith("  ")}
    for stage in ["startup", *STAGES, "total"]:
        seconds, peak, unit = table[stage][:3]
        assert float(seconds) >= 0 and float(peak) > 0 and unit == "GB", stage
    assert any(line.startswith("floor (DuckDB reads every CSV") for line in lines)
    assert any(line.startswith("ratio: ") and line.endswith("× the floor") for line in lines)
    assert "  deaths_to_deregister: precision 1.0000, recall 1.0000, living_confirmed 0" in lines
    assert (tmp_path / "night-2000-5-1.0" / "truth" / "night.json").is_file()  # kept
    startup = next(line for line in lines if line.startswith("  startup"))
    assert "flow run created on the Prefect server" in startup
    assert (tmp_path / "prefect-server" / "server.log").is_file()  # its own home
