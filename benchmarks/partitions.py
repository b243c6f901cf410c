"""Benchmark: linkage and findings in parts, each part timed, against one process.

    .venv/bin/python benchmarks/partitions.py --people 1000000 --parts 8

Generates a night once (kept under --work, default data/bench), reads it, then links and
finds once in one process and once in --parts parts run one after the other here (what a
Dask worker does with its part, without the cluster), and prints: one-process seconds;
per part its seconds and rows shipped; the driver's share (splitting, the residual
probabilistic pass, putting parts together); the peak RSS; whether the results are
identical. Times are CPU seconds of this process (all its threads), so a machine shared
with other work still gives comparable numbers. What one part takes is what a worker
needs per part, so a cluster's night is about the driver's share plus parts ÷ workers ×
the slowest part.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import resource
import time
from pathlib import Path

from pensionlink.connectors import read_night
from pensionlink.findings import night_findings
from pensionlink.findings.partitioned import night_findings_partitioned
from pensionlink.findings.withheld import REVIEW_QUEUE, WITHHELD
from pensionlink.matching import link_night
from pensionlink.matching.partitioned import link_night_partitioned
from pensionlink.synth import generate_night

from pensionlink.settings import load_policy


class TimedParts:
    """A `Run` that runs the parts in turn and keeps each call's seconds and input rows."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, float, int]] = []

    def __call__(self, fn, calls):
        out = []
        for args in calls:
            rows = sum(_rows(a) for a in args)
            t0 = time.process_time()
            out.append(fn(*args))
            self.calls.append((fn.__name__, time.process_time() - t0, rows))
        return out


def _rows(value) -> int:
    if isinstance(value, dict):
        return sum(_rows(v) for v in value.values())
    return getattr(value, "height", 0) or 0


def _peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=150_000)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--parts", type=int, default=8)
    parser.add_argument("--as-of", default="2026-11-28")
    parser.add_argument("--work", type=Path, default=Path("data/bench"))
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    as_of = dt.date.fromisoformat(args.as_of)
    policy = load_policy(as_of)
    night = args.work / f"night-{args.people}-{args.seed}-1.0"
    if not (night / "truth").is_dir():
        generate_night(night, people=args.people, seed=args.seed, as_of=as_of)
    extract = read_night(night, as_of=as_of)
    frames = extract.frames
    print(f"{args.people:,} people, {sum(f.height for f in frames.values()):,} records")

    t0 = time.process_time()
    linked, links, queue = link_night(frames)
    t_link = time.process_time() - t0
    night_linked = {**linked, WITHHELD: extract.withheld, REVIEW_QUEUE: queue}
    t0 = time.process_time()
    tables = night_findings(night_linked, as_of, policy)
    t_find = time.process_time() - t0
    print(
        f"one process: link {t_link:.1f} s, findings {t_find:.1f} s (CPU), peak {_peak_gb():.1f} GB"
    )

    for stage, run_stage in (
        ("link", lambda run: link_night_partitioned(frames, parts=args.parts, run=run)),
        (
            "findings",
            lambda run: night_findings_partitioned(
                night_linked, as_of, policy, parts=args.parts, run=run
            ),
        ),
    ):
        timed = TimedParts()
        t0 = time.process_time()
        result = run_stage(timed)
        wall = time.process_time() - t0
        in_parts = sum(s for _, s, _ in timed.calls)
        if stage == "link":
            same = result[1].equals(links) and result[2].equals(queue)
            same = same and all(result[0][s].equals(linked[s]) for s in linked)
        else:
            same = all(result[n].equals(tables[n]) for n in tables)
        print(f"{stage} in {args.parts} parts: {wall:.1f} s (CPU), identical: {same}")
        by_fn: dict[str, list[tuple[float, int]]] = {}
        for name, seconds, rows in timed.calls:
            by_fn.setdefault(name, []).append((seconds, rows))
        for name, calls in by_fn.items():
            slowest = max(s for s, _ in calls)
            rows = max(r for _, r in calls)
            print(
                f"  {name}: {len(calls)} calls, {sum(s for s, _ in calls):.1f} s in all, "
                f"slowest {slowest:.2f} s, largest {rows:,} rows"
            )
        print(f"  driver (split, residual, put together): {wall - in_parts:.1f} s")
        print(f"  peak RSS so far {_peak_gb():.1f} GB")
    print(f"peak RSS {_peak_gb():.1f} GB")


if __name__ == "__main__":
    main()
