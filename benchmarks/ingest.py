"""Benchmark: ingesting a night with the connectors against DuckDB reading the same CSVs.

    .venv/bin/python benchmarks/ingest.py --night data/bench/night-1000000-5-1.0

The floor is DuckDB's own CSV reader materialising every file as text
(`CREATE TABLE t AS FROM read_csv(f, all_varchar = true)`), two threads, the files warm in
the page cache. DuckDB cannot decode GB18030 here, so for those files it reads a UTF-8
copy made beforehand (not timed) — the floor is therefore lower than any real reader of
these files can reach. The connectors also decode, map headers, type every column,
normalise every ID and collect rejected rows; that is the price shown in the ratio.
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import time
from pathlib import Path

import duckdb
from pensionlink.connectors import read_source
from pensionlink.connectors.encoding import decode_to_utf8
from pensionlink.connectors.spec import load_specs


def _duckdb_floor(path: Path, utf8_copy: Path | None) -> float:
    con = duckdb.connect()
    con.execute("SET threads = 2")
    target = str(utf8_copy or path)
    t0 = time.perf_counter()
    con.execute("CREATE TABLE t AS FROM read_csv(?, all_varchar = true, header = true)", [target])
    seconds = time.perf_counter() - t0
    con.close()
    return seconds


_LINE = "{:<20}{:<11}{:>11}{:>8}{:>9}{:>10}{:>7}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--night", type=Path, required=True)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for spec in load_specs().values():
            path = args.night / f"{spec.path}.csv"
            if not path.is_file():
                continue
            decoded = decode_to_utf8(path.read_bytes())
            copy = None
            if decoded.encoding not in ("utf-8", "utf-8-sig"):
                copy = Path(tmp) / f"{spec.name}.csv"
                copy.write_bytes(decoded.data)
            floor = _duckdb_floor(path, copy)
            t0 = time.perf_counter()
            read = read_source(spec.name, args.night)
            ours = time.perf_counter() - t0
            rows.append(
                (spec.name, decoded.encoding, read.rows_read, path.stat().st_size, ours, floor)
            )
    total = (
        "total",
        "",
        sum(r[2] for r in rows),
        sum(r[3] for r in rows),
        sum(r[4] for r in rows),
        sum(r[5] for r in rows),
    )
    print(_LINE.format("source", "encoding", "rows", "MB", "ours s", "duckdb s", "ratio"))
    for name, enc, n, size, ours, floor in [*rows, total]:
        print(
            _LINE.format(
                name,
                enc,
                f"{n:,}",
                f"{size / 1e6:.1f}",
                f"{ours:.2f}",
                f"{floor:.2f}",
                f"{ours / floor:.1f}",
            )
        )


if __name__ == "__main__":
    main()
