"""The night benchmark (性能基准): a generated night run through the command line, against
the floor.

`pensionlink bench` generates a night once (kept under `data/bench/`), then K times runs
`pensionlink run` on it in a fresh folder as a user would (a subprocess: imports, Prefect's
temporary API and all), and measures the same night's floor (`warehouse.floor`) in the
same run. Per stage: the seconds the run recorded (`runs.stages`) and the peak memory of
the run's process tree (RSS of the process and its children, sampled from /proc every
20 ms, each sample given to every stage running then: from its progress line on stderr
for the seconds it recorded; stages run beside each other share samples); the
process's own peak (`ru_maxrss` of the waited-for children) beside it. Medians of the K
runs. The accuracy comes from `pensionlink evaluate`'s scoring of the last run. Nothing of
the nightly path imports this module.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pensionlink.prefect_server import running_server
from pensionlink.warehouse.database_key import KEY_ENV, KEY_FILE_ENV, new_key_file
from pensionlink.warehouse.floor import Floor, measure_floor
from pensionlink.warehouse.queries import latest_run_stages
from pensionlink.warehouse.store import open_warehouse, stages_of

__all__ = [
    "STAGES",
    "BenchRun",
    "bench",
    "bench_night",
    "format_bench",
    "median_run",
    "run_once",
    "stage_peaks",
]

#: The run's stages as `runs.stages` names them, in order, and the progress line (stderr,
#: `flows/nightly.py`) that starts each; `startup` is everything before the first line
#: (imports, Prefect's temporary API).
STAGES = {
    "read": "读取来源文件 reading extracts",
    "check": "数据校验 checking expectations",
    "link": "人员比对 linking records",
    "findings": "核查 computing findings",
    "cases": "案件 moving the cases",
    "publish": "发布 publishing",
    "analyst": "发布分析库 writing the analysts' copy",
    "report": "生成报表 writing reports",
}
#: Stages that run beside others (in a thread, or a process of their own): their seconds
#: and their peak memory overlap the others'.
_BESIDE = {
    "check": "beside link, findings and cases (a process of its own)",
    "analyst": "beside the reports",
}
#: The line the command writes once its imports are done, just before the flow starts.
_RUNNING = "运行 running night"
_SAMPLE_SECONDS = 0.02


@dataclass
class BenchRun:
    """One run: wall seconds, each stage's recorded seconds, peak RSS (bytes) per stage
    (`startup` included) and over the whole process tree, `ru_maxrss` of the run."""

    wall: float
    stages: dict[str, float]
    peak_by_stage: dict[str, int]
    peak: int
    maxrss: int
    floor: Floor
    startup: float = 0.0
    imports: float = 0.0
    prefect_api: float = 0.0
    between: float = 0.0
    cpu: float = 0.0
    after: float = 0.0
    accuracy: dict = field(default_factory=dict)
    #: Seconds the benchmark's own Prefect server took to start (`--prefect-server`),
    #: once for all runs; None when each run started Prefect's temporary API.
    server_start: float | None = None


def bench_night(work: Path, people: int, seed: int, noise: float, as_of: dt.date) -> Path:
    """The benchmark's night, generated (by `pensionlink generate`) only the first time."""
    night = work / f"night-{people}-{seed}-{noise}"
    if not (night / "truth" / "night.json").is_file():
        shutil.rmtree(night, ignore_errors=True)
        options = {"--out": night, "--people": people, "--seed": seed, "--noise": noise}
        arguments = [str(x) for kv in options.items() for x in kv]
        subprocess.run(
            [*_command(), "generate", *arguments, "--as-of", as_of.isoformat()],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    return night


def use_bench_key(work: Path) -> None:
    """The configured database key, else a throwaway key under `work` (benchmark nights
    are synthetic), set for this process and the runs it starts."""
    if not (os.environ.get(KEY_ENV) or os.environ.get(KEY_FILE_ENV)):
        key_file = work / "bench.key"
        if not key_file.exists():
            new_key_file(key_file)
        os.environ[KEY_FILE_ENV] = str(key_file)


def _command() -> list[str]:
    """`pensionlink` as the user runs it: the console script beside this interpreter."""
    script = Path(sys.executable).with_name("pensionlink")
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-c", "from pensionlink.cli import main; main()"]


def _tree_rss(root: int) -> int:
    """RSS in bytes of a process and all its descendants (/proc)."""
    total, todo, page = 0, [root], os.sysconf("SC_PAGE_SIZE")
    while todo:
        pid = todo.pop()
        try:
            with open(f"/proc/{pid}/statm") as f:
                total += int(f.read().split()[1]) * page
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children") as f:
                    todo.extend(int(c) for c in f.read().split())
        except (OSError, ValueError):  # gone meanwhile
            continue
    return total


def run_once(night: Path, folder: Path, as_of: dt.date) -> BenchRun:
    """`pensionlink run` on `night` into an empty `folder`; the floor measured after it."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    db = folder / "night.duckdb"
    samples: list[tuple[float, int]] = []
    lines = []
    t0, spawned = time.perf_counter(), dt.datetime.now()
    proc = subprocess.Popen(
        [*_command(), "run", "--extracts", str(night), "--db", str(db), "--as-of", str(as_of)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    marks: dict[str, float] = {}

    def follow() -> None:
        for line in proc.stderr:
            lines.append(line.rstrip())
            if _RUNNING in line:
                marks.setdefault("running", time.perf_counter() - t0)
            for stage, words in STAGES.items():
                if line.rstrip().endswith(words):
                    marks.setdefault(stage, time.perf_counter() - t0)

    reader = threading.Thread(target=follow, daemon=True)
    reader.start()
    while True:  # wait4: this run's own ru_maxrss, not the generator's
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        samples.append((time.perf_counter() - t0, _tree_rss(proc.pid)))
        time.sleep(_SAMPLE_SECONDS)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    reader.join()
    if proc.returncode != 0:
        tail = "\n".join(lines[-5:])
        raise RuntimeError(f"pensionlink run exited {proc.returncode}:\n{tail}")
    with open_warehouse(db, read_only=True) as warehouse:
        recorded = warehouse.frame(latest_run_stages())
    row = list(zip(recorded["stage"], recorded["seconds"], strict=True))
    stages = dict(stages_of(db, recorded["run_id"][0], row))
    flow_started = (recorded["started_at"][0] - spawned).total_seconds()
    running = marks.pop("running", 0.0)
    peaks = stage_peaks(samples, marks, stages)
    return BenchRun(
        wall=wall,
        stages=stages,
        peak_by_stage=peaks,
        peak=max(peaks.values(), default=0),
        maxrss=usage.ru_maxrss * 1024,
        cpu=usage.ru_utime + usage.ru_stime,
        floor=measure_floor(night),
        startup=marks.get("read", wall),
        imports=running,
        prefect_api=max(0.0, flow_started - running),
        between=_between(marks, stages),
        after=wall - max(marks.values(), default=0.0) - stages.get([*marks][-1], 0.0),
    )


def stage_peaks(
    samples: list[tuple[float, int]], marks: dict[str, float], stages: dict[str, float]
) -> dict[str, int]:
    """Each stage's peak RSS: the largest sample from its progress line (`marks`, seconds
    since the start) for the seconds it recorded (the sample nearest its start when it was
    shorter than a sampling interval); `startup` the largest before the first line."""
    first = min(marks.values(), default=float("inf"))
    peaks = {"startup": max((rss for t, rss in samples if t < first), default=0)}
    for stage, start in marks.items():
        end = start + stages.get(stage, 0.0)
        inside = [rss for t, rss in samples if start <= t <= end]
        nearest = min(samples, key=lambda s: abs(s[0] - start), default=(0.0, 0))
        peaks[stage] = max(inside, default=nearest[1])
    return peaks


def _between(marks: dict[str, float], stages: dict[str, float]) -> float:
    """Seconds between one stage's end and the next stage's progress line (the reviewers'
    decisions, the Data Docs moved into place); the stages run beside others are not in
    that line."""
    starts = sorted(((s, t) for s, t in marks.items() if s not in _BESIDE), key=lambda m: m[1])
    return sum(
        max(0.0, nxt - start - stages.get(stage, 0.0))
        for (stage, start), (_, nxt) in itertools.pairwise(starts)
    )


def median_run(runs: list[BenchRun]) -> BenchRun:
    """Every figure the median of the runs' (the last run's accuracy)."""

    def med(values) -> float:
        return statistics.median(values)

    names = [*dict.fromkeys(s for r in runs for s in r.stages)]
    phases = [*dict.fromkeys(s for r in runs for s in r.peak_by_stage)]
    return BenchRun(
        wall=med(r.wall for r in runs),
        stages={s: med(r.stages.get(s, 0.0) for r in runs) for s in names},
        peak_by_stage={s: int(med(r.peak_by_stage.get(s, 0) for r in runs)) for s in phases},
        peak=int(med(r.peak for r in runs)),
        maxrss=int(med(r.maxrss for r in runs)),
        floor=Floor(
            read_seconds=med(r.floor.read_seconds for r in runs),
            join_seconds=med(r.floor.join_seconds for r in runs),
            rows=runs[-1].floor.rows,
            joined=runs[-1].floor.joined,
        ),
        startup=med(r.startup for r in runs),
        imports=med(r.imports for r in runs),
        prefect_api=med(r.prefect_api for r in runs),
        between=med(r.between for r in runs),
        cpu=med(r.cpu for r in runs),
        after=med(r.after for r in runs),
        accuracy=runs[-1].accuracy,
        server_start=runs[-1].server_start,
    )


def _gb(n: int) -> str:
    return f"{n / 1e9:.2f} GB"


def format_bench(result: BenchRun, runs: int, people: int) -> str:
    """The benchmark's table: each stage's seconds and peak memory, the total, the floor
    and the ratio, then the accuracy."""
    lines = [
        f"night of {people:,} people, median of {runs} run(s) of `pensionlink run`",
        f"  {'stage':<10}{'seconds':>9}{'peak memory':>14}",
        f"  {'startup':<10}{result.startup:>9.1f}{_gb(result.peak_by_stage.get('startup', 0)):>14}"
        f"   imports {result.imports:.1f} s, {_api_words(result)}",
    ]
    for stage in [*STAGES, *(s for s in result.stages if s not in STAGES)]:
        seconds = result.stages.get(stage)
        shown = f"{seconds:>9.1f}" if seconds is not None else f"{'-':>9}"
        note = f"   {_BESIDE[stage]}" if stage in _BESIDE else ""
        lines.append(f"  {stage:<10}{shown}{_gb(result.peak_by_stage.get(stage, 0)):>14}{note}")
    lines.append(
        f"  {'between':<10}{result.between:>9.1f}{'':>14}   between the stages "
        "(reviewers' decisions, Data Docs)"
    )
    lines.append(
        f"  {'exit':<10}{result.after:>9.1f}{'':>14}"
        "   after the reports (stage times recorded, Prefect stops)"
    )
    lines.append(
        f"  {'total':<10}{result.wall:>9.1f}{_gb(result.peak):>14}   "
        f"CPU {result.cpu:.1f} s (user + system, the run and its children)"
    )
    lines.append(f"  peak RSS of the run's largest process (ru_maxrss): {_gb(result.maxrss)}")
    floor = result.floor
    lines.append(
        f"floor (DuckDB reads every CSV, {floor.rows:,} rows, and joins three extracts to the "
        f"hukou on the raw ID, {floor.joined:,} pairs): {floor.seconds:.2f} s "
        f"(read {floor.read_seconds:.2f}, join {floor.join_seconds:.2f})"
    )
    lines.append(f"ratio: {result.wall / floor.seconds:.1f}× the floor")
    if result.accuracy:
        lines.append("accuracy (pensionlink evaluate):")
        lines.extend(f"  {line}" for line in accuracy_lines(result.accuracy))
    return "\n".join(lines)


def _api_words(result: BenchRun) -> str:
    if result.server_start is None:
        return (
            f"Prefect's temporary API {result.prefect_api:.1f} s "
            "(a Prefect server avoids it: --prefect-server)"
        )
    return (
        f"flow run created on the Prefect server {result.prefect_api:.1f} s "
        f"(the server started once, in {result.server_start:.1f} s, before the runs)"
    )


_HEADLINE = {
    "deaths_to_deregister": ("precision", "recall", "living_confirmed"),
    "uninsured_eligible": ("precision", "recall"),
    "duplicate_funeral_benefits": ("precision", "recall"),
    "agency_disagreements": ("precision", "recall"),
    "person_links": ("precision", "recall"),
}


def accuracy_lines(report: dict[str, dict]) -> list[str]:
    """One line per finding: its precision, recall and what must stay zero."""
    out = []
    for finding, metrics in report.items():
        keys = [k for k in _HEADLINE.get(finding, ()) if k in metrics]
        if not keys:
            continue
        shown = ", ".join(
            f"{k} {metrics[k]:.4f}" if isinstance(metrics[k], float) else f"{k} {metrics[k]}"
            for k in keys
        )
        out.append(f"{finding}: {shown}")
    return out


def bench(
    work: Path,
    people: int,
    repeat: int,
    seed: int,
    noise: float,
    as_of: dt.date,
    score: Callable[[Path, Path], dict],
    prefect_server: bool = False,
) -> BenchRun:
    """Generate (once), run `repeat` times, measure the floor each time, score the last.
    With `prefect_server`, the runs report to a Prefect server started once before them
    (`pensionlink.prefect_server`), as a scheduled night does, instead of each starting
    Prefect's temporary API."""
    work.mkdir(parents=True, exist_ok=True)
    night = bench_night(work, people, seed, noise, as_of)
    use_bench_key(work)
    folder = work / "runs" / night.name
    with contextlib.ExitStack() as stack:
        started = None
        if prefect_server:
            started = stack.enter_context(running_server(work / "prefect-server"))
        runs = [run_once(night, folder, as_of) for _ in range(repeat)]
    runs[-1].accuracy = score(night, folder / "night.duckdb")
    runs[-1].server_start = started
    return median_run(runs)
