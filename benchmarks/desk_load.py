"""Load test of the desk: 20 staff at once while a night publishes, on loopback, bounded.

    .venv/bin/python benchmarks/desk_load.py --people 150000 [--clients 20] [--seconds 60]

Generates a night (kept under --work) and publishes it, adds one city user per client,
starts `pensionlink desk` in its own process on 127.0.0.1, then for --seconds runs the
clients (threads, one HTTP client each): each opens the home page, a page of the uninsured
worklist and a case, and records a `contacted` action (外出务工: the case stays open, so
the action can be taken again) through the API. Meanwhile `pensionlink run` publishes the
next night (as-of one day later) over the same database. Then it stops everything and
prints p50/p95/max of pages and actions, how many actions were answered 200, and whether
the case store holds exactly that many desk events (every action recorded). Only
127.0.0.1 is ever contacted; the loops end after --seconds.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
import polars as pl

AS_OF = dt.date(2026, 11, 28)
PASSWORD = "load-test-pass-1"


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _quantiles(values: list[float]) -> str:
    if not values:
        return "none"
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return (
        f"n={len(ordered)} p50={statistics.median(ordered) * 1000:.0f} ms "
        f"p95={p95 * 1000:.0f} ms max={ordered[-1] * 1000:.0f} ms"
    )


def _client(
    base: str, name: str, case_ids: list[str], stop: threading.Event, out: dict[str, list]
) -> None:
    with httpx.Client(base_url=base, timeout=120) as c:
        r = c.post("/login", data={"username": name, "password": PASSWORD})
        assert r.status_code in (200, 303), r.text
        csrf = c.cookies["csrf_token"]
        i = hash(name) % len(case_ids)
        while not stop.is_set():
            case_id = case_ids[i % len(case_ids)]
            i += 7
            for path in (
                "/",
                f"/cases?worklist=uninsured&page_no={i % 5 + 1}",
                f"/cases/{case_id}",
            ):
                t0 = time.perf_counter()
                page = c.get(path)
                out["page"].append(time.perf_counter() - t0)
                if page.status_code != 200:
                    out["page_errors"].append(f"{path} {page.status_code}")
            t0 = time.perf_counter()
            r = c.post(
                f"/api/cases/{case_id}/actions",
                json={"action": "contacted", "outcome": "外出务工", "note": "压测"},
                headers={"X-CSRF-Token": csrf},
            )
            out["action"].append(time.perf_counter() - t0)
            out["status"].append(r.status_code)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=150_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--work", type=Path, default=Path("data/bench-desk"))
    args = parser.parse_args()
    os.environ.setdefault("PENSIONLINK_DB_KEY", "bench-key-not-for-real-data-0123")
    from pensionlink.offline import go_offline

    go_offline()
    from pensionlink.flows.nightly import run_night
    from pensionlink.synth import generate_night

    from pensionlink.cases.store import case_store_location, open_case_store
    from pensionlink.desk.accounts import new_user_row
    from pensionlink.settings import Settings, load_policy

    work = args.work / f"people-{args.people}-seed-{args.seed}"
    night, db = work / "night", work / "pensionlink.duckdb"
    if not (night / "truth").exists():
        t0 = time.perf_counter()
        generate_night(night, people=args.people, seed=args.seed, as_of=AS_OF)
        print(f"generated {args.people} people in {time.perf_counter() - t0:.0f} s")
    if not db.exists():
        t0 = time.perf_counter()
        run_night(Settings(extracts=night, db=db, as_of=AS_OF, policy=load_policy(AS_OF)))
        print(f"night 1 published in {time.perf_counter() - t0:.0f} s")
    names = [f"压测{i:02d}" for i in range(args.clients)]
    with open_case_store(case_store_location(db)) as store:
        known = {u["name"] for u in store.users()}
        for name in names:
            if name not in known:
                store.add_user(new_user_row(name, "city", None, None, PASSWORD))
        cases = store.cases()
        before = store.events().filter(pl.col("by_name").is_in(names)).height
    case_ids = cases.filter(
        (pl.col("kind") == "uninsured") & pl.col("state").is_in(["to_contact", "contacted"])
    )["case_id"].to_list()
    port = _port()
    base = f"http://127.0.0.1:{port}"
    exe = Path(sys.executable).with_name("pensionlink")
    desk = subprocess.Popen([exe, "desk", "--db", str(db), "--port", str(port)])
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                httpx.get(f"{base}/login", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        next_night = (AS_OF + dt.timedelta(days=1)).isoformat()
        t_night = time.perf_counter()
        run = subprocess.Popen(
            [exe, "run", "--extracts", str(night), "--db", str(db), "--as-of", next_night],
            stdout=subprocess.DEVNULL,
        )
        out: dict[str, list] = {"page": [], "action": [], "status": [], "page_errors": []}
        stop = threading.Event()
        threads = [
            threading.Thread(target=_client, args=(base, n, case_ids, stop, out)) for n in names
        ]
        for t in threads:
            t.start()
        time.sleep(args.seconds)
        stop.set()
        for t in threads:
            t.join()
        night_state = run.poll()
        night_note = (
            f"the night finished during the load (exit {night_state}, "
            f"{time.perf_counter() - t_night:.0f} s)"
            if night_state is not None
            else "the night was still running when the load stopped"
        )
        code = run.wait()
        print(f"{night_note}; night exit {code} after {time.perf_counter() - t_night:.0f} s")
    finally:
        desk.terminate()
        desk.wait(timeout=30)
    with open_case_store(case_store_location(db)) as store:
        after = store.events().filter(pl.col("by_name").is_in(names)).height
    ok = sum(1 for s in out["status"] if s == 200)
    statuses = sorted(Counter(out["status"]).items())
    print(f"{args.clients} clients, {args.seconds:.0f} s, {args.people} people")
    print(f"  pages   {_quantiles(out['page'])}  errors {len(out['page_errors'])}")
    print(f"  actions {_quantiles(out['action'])}  statuses {statuses}")
    print(
        f"  recorded in the store: {after - before} of {ok} answered 200 "
        f"({'every action recorded' if after - before == ok else 'MISMATCH'})"
    )


if __name__ == "__main__":
    main()
