"""The floor of a night (下限): the least any reader of the same files could spend.

DuckDB reads every CSV of the night as text (`read_csv(..., all_varchar = true)`) and joins
three extracts — the resident roster, the medical-insurance enrollment and the health
visits — to the hukou on the raw ID column, as delivered. Files that are not UTF-8 (the
hukou is GB18030) are transcoded beforehand, outside the timing: DuckDB cannot decode
GB18030. No typing, no ID normalisation, no rejection, no checks: a night cannot be read
and linked faster, so `pensionlink bench` divides the night's time by this one.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pensionlink.connectors.encoding import decode_to_utf8
from pensionlink.connectors.spec import load_specs

__all__ = ["FLOOR_JOINS", "Floor", "measure_floor"]

#: The extracts joined to the hukou on their raw ID column.
FLOOR_JOINS = ("resident_roster", "medical_enrollment", "visits")


@dataclass(frozen=True)
class Floor:
    """Seconds to read every CSV, seconds for the three joins, rows read, pairs joined."""

    read_seconds: float
    join_seconds: float
    rows: int
    joined: int

    @property
    def seconds(self) -> float:
        return self.read_seconds + self.join_seconds


def _id_header(source: str) -> str:
    return next(c.header for c in load_specs()[source].columns if c.id)


def measure_floor(night: Path, threads: int = 2) -> Floor:
    """Read every source CSV of `night` into DuckDB and join three extracts to the hukou."""
    specs = {s.name: s for s in load_specs().values() if (night / f"{s.path}.csv").is_file()}
    with tempfile.TemporaryDirectory(prefix="floor-") as tmp:
        files = {}
        for name, spec in specs.items():  # not timed: DuckDB reads UTF-8 only
            path = night / f"{spec.path}.csv"
            decoded = decode_to_utf8(path.read_bytes())
            if decoded.encoding != "utf-8":
                path = Path(tmp) / f"{name}.csv"
                path.write_bytes(decoded.data)
            files[name] = path
        con = duckdb.connect()
        try:
            con.execute(f"SET threads = {int(threads)}")
            t0 = time.perf_counter()
            rows = 0
            for name, path in files.items():
                con.execute(
                    f"CREATE TABLE {name} AS FROM read_csv(?, all_varchar = true, header = true)",
                    [str(path)],
                )
                rows += con.execute(f"SELECT count(*) FROM {name}").fetchone()[0]
            t1 = time.perf_counter()
            hukou_id = _id_header("hukou")
            joined = 0
            for name in FLOOR_JOINS:
                if name not in files:
                    continue
                joined += con.execute(
                    f'SELECT count(*) FROM {name} s JOIN hukou h ON s."{_id_header(name)}" '
                    f'= h."{hukou_id}"'
                ).fetchone()[0]
            t2 = time.perf_counter()
        finally:
            con.close()
    return Floor(read_seconds=t1 - t0, join_seconds=t2 - t1, rows=rows, joined=joined)
