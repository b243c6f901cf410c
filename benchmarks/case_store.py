"""Benchmark: the night's case write, and how long a staff action waits while it runs.

    .venv/bin/python benchmarks/case_store.py --people 20000 [--store postgresql://…]

Generates a night (kept under --work), runs night 1, then night 2 (as-of one day later)
while another process records `contacted` actions on uninsured cases in a loop. Prints the
`cases` stage of each night (candidates, lifecycle, the one transaction, the warehouse
frames), the transaction alone (from the store's log) and each action's wait.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import logging
import multiprocessing as mp
import os
import statistics
import time
from pathlib import Path

from pensionlink.flows.nightly import run_night
from pensionlink.synth import generate_night

from pensionlink.cases.machine import Refused, Request, step
from pensionlink.cases.store import CASE_STORE_ENV, case_store_location, open_case_store
from pensionlink.settings import Settings, load_policy
from pensionlink.warehouse.database_key import KEY_ENV, KEY_FILE_ENV, new_key_file

AS_OF = dt.date(2026, 11, 28)


def _acting(location: str, case_ids: list[str], stop, waits) -> None:
    request = Request("contacted", "基准测试", "township", outcome="外出务工")
    with open_case_store(location) as store:
        i = 0
        while not stop.is_set():
            t0 = time.perf_counter()
            with contextlib.suppress(Refused):  # closed by the night meanwhile
                store.act(case_ids[i % len(case_ids)], lambda c: step(c, request, 15))
            waits.append(time.perf_counter() - t0)
            i += 1


class _Transactions(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.seconds: list[float] = []

        self.whole: list[float] = []

    def emit(self, record: logging.LogRecord) -> None:
        if "night written" in record.msg:
            self.seconds.append(record.args[0])
        elif "moved and framed" in record.msg:
            self.whole.append(record.args[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--work", type=Path, default=Path("data/bench-cases"))
    parser.add_argument("--store", help="a postgresql:// URL (default: SQLite beside the db)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    transactions = _Transactions()
    for name in ("pensionlink.cases.store", "pensionlink.cases.night"):
        logging.getLogger(name).addHandler(transactions)
        logging.getLogger(name).setLevel(logging.INFO)
    if not os.environ.get(KEY_ENV) and not os.environ.get(KEY_FILE_ENV):
        os.environ[KEY_FILE_ENV] = str(new_key_file(args.work / "bench.key"))
    if args.store:
        os.environ[CASE_STORE_ENV] = args.store
    night = args.work / f"night-{args.people}-{args.seed}"
    if not night.exists():
        generate_night(night, people=args.people, seed=args.seed, as_of=AS_OF)
    db = args.work / f"run-{time.time_ns()}" / "pensionlink.duckdb"

    def run(as_of: dt.date) -> dict:
        return run_night(Settings(night, db, as_of, load_policy(as_of)))

    run(AS_OF)
    location = case_store_location(db)
    with open_case_store(location) as store:
        cases = store.cases()
    uninsured = cases.filter(cases["kind"] == "uninsured")["case_id"].to_list()[:200]
    stop, waits = mp.Event(), mp.Manager().list()
    actor = mp.Process(target=_acting, args=(location, uninsured, stop, waits))
    actor.start()
    while not waits:
        time.sleep(0.05)
    run(AS_OF + dt.timedelta(days=1))
    stop.set()
    actor.join()
    w = sorted(waits)
    print(
        f"people {args.people}: {cases.height} cases "
        f"({', '.join(f'{k} {n}' for k, n in cases['kind'].value_counts().rows())})"
    )
    print(
        "cases step (candidates, lifecycle, transaction, warehouse frames): "
        + ", ".join(f"{s:.2f} s" for s in transactions.whole)
    )
    print("the one transaction: " + ", ".join(f"{s:.3f} s" for s in transactions.seconds))
    print(
        f"acts during night 2: {len(w)}, median {statistics.median(w) * 1000:.1f} ms, "
        f"max {w[-1] * 1000:.1f} ms"
    )


if __name__ == "__main__":
    main()
