"""A night's writes on two connections at once (两路写入).

Publishing a night writes each finding table and its history, and each changed source's
snapshot. One DuckDB connection writes them one after another on one core (`SET threads
= 1`: a single writer fills whole row groups, the file stays small); two connections to
the same database write two tables at once, one core each (measured at 150,000 people, a
first night: the writes 3.0 → 2.3 s). Every table is written by exactly one connection
and each write is a transaction of its own, so the two never conflict, and DuckDB frees
a table's pending rows once it is committed (measured on a million-person first night:
the run's peak 3.28 → 3.10–3.12 GB against one transaction per connection); the staged
copy they write (`store.write_warehouse`) is what makes the whole night all or nothing.
"""

from __future__ import annotations

import contextlib
import threading
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass

import duckdb
import polars as pl
import pyarrow as pa

from pensionlink.connectors import SourceRead, load_specs
from pensionlink.warehouse.tables import HISTORY_TABLES

__all__ = [
    "Write",
    "arrow_view",
    "cells",
    "keep_snapshot",
    "on_two_connections",
    "record_published_run",
    "replace_table",
    "snapshot_table",
]


@dataclass(frozen=True)
class Write:
    """One table's write: its size in cells (the larger go first) and the statements."""

    cells: int
    run: Callable[[duckdb.DuckDBPyConnection], None]


def cells(frame: pl.DataFrame) -> int:
    """How much a frame is to write: rows × columns."""
    return frame.height * max(1, frame.width)


def on_two_connections(con: duckdb.DuckDBPyConnection, writes: Sequence[Write]) -> None:
    """Run `writes` on `con` and on a second connection to its database, the largest
    first, each connection taking the next write when it is free; each write is one
    transaction. If one fails, it is rolled back, the other stops (its statement
    interrupted, rolled back), and the error is raised once both have ended; the
    writes committed before are thrown away with the staged copy."""
    pending = deque(sorted(writes, key=lambda w: w.cells, reverse=True))
    lock = threading.Lock()

    def take() -> Write | None:
        with lock:
            return pending.popleft() if pending else None

    def writer(connection: duckdb.DuckDBPyConnection) -> None:
        try:
            while (write := take()) is not None:
                connection.execute("BEGIN TRANSACTION")
                write.run(connection)
                connection.execute("COMMIT")
        except BaseException:  # a signal too; never mask the error with the rollback's
            with lock:
                pending.clear()
            with contextlib.suppress(duckdb.Error):
                connection.execute("ROLLBACK")
            raise

    if len(pending) < 2:
        writer(con)
        return
    second = _beside(con)
    try:
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="writer") as pool:
            beside = pool.submit(writer, second)
            try:
                writer(con)
                beside.result()
            except BaseException:  # a signal while waiting too: stop the other at once
                with lock:
                    pending.clear()
                second.interrupt()
                wait([beside])
                raise
    finally:
        second.close()


def _beside(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """A second connection to `con`'s database, using the same attached database."""
    (database,) = con.execute("SELECT current_database()").fetchone()
    second = con.cursor()
    second.execute(f'USE "{database}"')
    return second


def replace_table(
    table: str,
    incoming: pl.DataFrame,
    run_id: str,
    repeated: Sequence[str],
    backfill: bool,
    con: duckdb.DuckDBPyConnection,
) -> None:
    """Replace `table`'s rows by `incoming` with the run's id (not on a back-fill) and
    append them to its history, where the runs in `repeated` (the same night from the
    same inputs) lose theirs: one entry per night, not two.

    The run's id goes in as a parameter of the INSERT, not as a column of the frame:
    adding a column to a frame of many chunks (person_links, one part per source) makes
    polars copy it whole first — measured at a million people, 0.29 GB at the
    publish's start."""
    name = f"incoming_{table}"
    rows = "* EXCLUDE (run_id)" if "run_id" in incoming.columns else "*"
    con.register(name, arrow_view(incoming))
    try:
        if not backfill:
            con.execute(f"DELETE FROM {table}")
            con.execute(
                f"INSERT INTO {table} BY NAME SELECT {rows}, ? AS run_id FROM {name}", [run_id]
            )
        if table in HISTORY_TABLES:
            if repeated:
                con.execute(
                    f"DELETE FROM {table}_history WHERE list_contains(?, run_id)",
                    [list(repeated)],
                )
            con.execute(
                f"INSERT INTO {table}_history BY NAME SELECT {rows}, ? AS run_id FROM {name}",
                [run_id],
            )
    finally:
        con.unregister(name)


def keep_snapshot(read: SourceRead, con: duckdb.DuckDBPyConnection) -> None:
    """A source's accepted delivery as its snapshot table (快照); its row in
    `snapshots.deliveries` is written with the run (`record_published_run`)."""
    name = f"incoming_snapshot_{read.name}"
    con.register(name, arrow_view(read.frame))
    try:
        con.execute(f"CREATE OR REPLACE TABLE {snapshot_table(read.name)} AS SELECT * FROM {name}")
    finally:
        con.unregister(name)


def record_published_run(
    run: pl.DataFrame,
    reads: Sequence[SourceRead],
    repeated: Sequence[str],
    con: duckdb.DuckDBPyConnection,
) -> None:
    """The run's own writes: each kept snapshot's delivery and rejected rows, the runs it
    replaces marked `superseded`, and its row in `runs` (tables no other write touches)."""
    (run_id,) = run["run_id"].to_list()
    for read in reads:
        con.execute("DELETE FROM snapshots.deliveries WHERE source = ?", [read.name])
        con.execute(
            "INSERT INTO snapshots.deliveries VALUES (?, ?, ?, ?, ?, ?, current_timestamp)",
            [read.name, read.path.as_posix(), read.checksum, read.encoding, read.rows_read, run_id],
        )
        con.execute("DELETE FROM snapshots.rejected_rows WHERE source = ?", [read.name])
        con.register("incoming_rejected", arrow_view(read.rejected))
        con.execute("INSERT INTO snapshots.rejected_rows BY NAME SELECT * FROM incoming_rejected")
        con.unregister("incoming_rejected")
    if repeated:
        con.execute(
            "UPDATE runs SET status = 'superseded' WHERE list_contains(?, run_id)",
            [list(repeated)],
        )
    con.register("incoming_run", arrow_view(run))
    con.execute("INSERT INTO runs BY NAME SELECT * FROM incoming_run")
    con.unregister("incoming_run")


def snapshot_table(source: str) -> str:
    """The snapshot table of a source; only the known source names are ever used."""
    if source not in load_specs():
        raise ValueError(f"unknown source {source}")
    return f'snapshots."{source}"'


def arrow_view(frame: pl.DataFrame) -> pa.Table:
    """The frame as Arrow for DuckDB without copying it: each column's chunks as they are
    (a frame whose columns are chunked differently — person_links, a part per source —
    would otherwise be copied whole to line them up: ≈ 0.3 GB at a million people), and
    polars' string views as they are (the oldest Arrow level would copy every string
    into a large_string column first, ≈ 230 MB more at the same night's peak)."""
    columns = []
    for series in frame.iter_columns():
        chunks = [chunk.to_arrow(compat_level=_NEWEST) for chunk in series.get_chunks()]
        columns.append(pa.chunked_array(chunks, type=chunks[0].type))
    return pa.Table.from_arrays(columns, names=frame.columns)


_NEWEST = pl.CompatLevel.newest()
