"""`pensionlink bench`: a small night through the command line, every stage, the floor and
the ratio in its output (no timing is asserted: timing belongs to the benchmark)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pensionlink.benchmark import STAGES, BenchRun, _between, median_run
from pensionlink.warehouse.floor import Floor


def test_between_is_the_time_no_stage_recorded():
    # read starts at 1 s and takes 2 (ends at 3), check starts at 4: 1 s between;
    # check takes 5 (ends at 9), link starts at 9: nothing between.
    marks = {"read": 1.0, "check": 4.0, "link": 9.0}
    assert _between(marks, {"read": 2.0, "check": 5.0, "link": 3.0}) == pytest.approx(1.0)


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
