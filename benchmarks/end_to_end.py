"""Benchmark: generate a night, run the pipeline on it (without Prefect), score it.

    .venv/bin/python benchmarks/end_to_end.py --people 1000000 --seed 5

Prints generation time, each stage's seconds, wall time and the evaluation against the
night's truth. The night is kept under --work (default data/bench) and reused.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import time
from pathlib import Path

from pensionlink.flows.nightly import run_night
from pensionlink.synth import generate_night
from pensionlink.synth.evaluate import evaluate_night, format_report

from pensionlink.settings import Settings, load_policy
from pensionlink.warehouse.database_key import KEY_ENV, KEY_FILE_ENV, new_key_file


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=150_000)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--noise", type=float, default=1.0)
    parser.add_argument("--as-of", default="2026-11-28")
    parser.add_argument("--work", type=Path, default=Path("data/bench"))
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    as_of = dt.date.fromisoformat(args.as_of)
    night = args.work / f"night-{args.people}-{args.seed}-{args.noise}"
    db = night.parent / f"{night.name}.duckdb"
    if not (night / "truth").is_dir():
        t0 = time.perf_counter()
        generate_night(night, people=args.people, seed=args.seed, as_of=as_of, noise=args.noise)
        print(f"generate {args.people:,} people: {time.perf_counter() - t0:.1f} s")
    db.unlink(missing_ok=True)
    if not (os.environ.get(KEY_ENV) or os.environ.get(KEY_FILE_ENV)):  # a throwaway key
        key_file = args.work / "bench.key"
        if not key_file.exists():
            new_key_file(key_file)
        os.environ[KEY_FILE_ENV] = str(key_file)
    t0 = time.perf_counter()
    summary = run_night(Settings(extracts=night, db=db, as_of=as_of, policy=load_policy(as_of)))
    wall = time.perf_counter() - t0
    stages = ", ".join(f"{k} {v:.1f}" for k, v in summary["stages"].items())
    print(f"pipeline wall {wall:.1f} s ({stages})")
    print(format_report(evaluate_night(night, db)))


if __name__ == "__main__":
    main()
