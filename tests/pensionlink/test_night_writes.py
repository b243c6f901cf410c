"""A night's writes on two connections: every write lands once, on one connection, and a
write is its own transaction, and one that fails is undone and stops the rest; a table's
rows get the run's id on the way in."""

from __future__ import annotations

import itertools
import threading
import time
from pathlib import Path

import duckdb
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pensionlink.warehouse.night_writes import (
    Write,
    arrow_view,
    on_two_connections,
    replace_table,
)

TABLES = [f"t{i}" for i in range(6)]


def database(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(tmp_path / "night.duckdb"))
    for table in TABLES:
        con.execute(f"CREATE TABLE {table} (n INTEGER, thread VARCHAR)")
    return con


def insert(table: str, rows: int, seen: list, after: threading.Event | None = None):
    def run(con: duckdb.DuckDBPyConnection) -> None:
        if after is not None:  # not before the failing write has failed
            after.wait(10)
            time.sleep(0.1)
        seen.append(table)
        con.execute(
            f"INSERT INTO {table} SELECT range, ? FROM range(?)",
            [threading.current_thread().name, rows],
        )

    return Write(rows, run)


def test_every_write_lands_once_on_one_of_two_connections(tmp_path: Path):
    con = database(tmp_path)
    seen: list[str] = []
    on_two_connections(con, [insert(t, 20_000 * (i + 1), seen) for i, t in enumerate(TABLES)])
    assert sorted(seen) == TABLES
    assert seen[0] in ("t5", "t4")  # the largest first
    threads = set()
    for i, table in enumerate(TABLES):
        (n, names) = con.execute(f"SELECT count(*), list(DISTINCT thread) FROM {table}").fetchone()
        assert n == 20_000 * (i + 1)
        assert len(names) == 1  # one connection wrote the whole table
        threads |= set(names)
    assert len(threads) == 2  # and both connections wrote


def test_a_failing_write_is_undone_and_stops_the_rest(tmp_path: Path):
    con = database(tmp_path)
    seen: list[str] = []
    fail_on = threading.Event()

    def failing(connection: duckdb.DuckDBPyConnection) -> None:
        seen.append("bad")
        connection.execute("INSERT INTO t0 VALUES (1, 'x')")
        fail_on.set()
        raise OSError(28, "No space left on device")

    writes = [Write(10**9, failing)] + [insert(t, 1000, seen, fail_on) for t in TABLES[1:]]
    with pytest.raises(OSError, match="No space"):
        on_two_connections(con, writes)
    assert con.execute("SELECT count(*) FROM t0").fetchone() == (0,)  # rolled back
    assert len(seen) <= 2  # the failing one, and at most the one the other had taken


def test_each_write_is_committed_once_it_is_done(tmp_path: Path):
    """A written table's pending rows are not held to the end of the publish: a
    connection's earlier writes are committed, seen from any other connection, by the
    time it starts its next one."""
    con = database(tmp_path)
    done: dict[str, list[str]] = {}  # by the thread (the connection) that wrote them
    unseen: list[str] = []

    def write(table: str, rows: int) -> Write:
        def run(connection: duckdb.DuckDBPyConnection) -> None:
            mine = done.setdefault(threading.current_thread().name, [])
            look = con.cursor()  # a third connection
            for earlier in mine:
                (n,) = look.execute(f"SELECT count(*) FROM {earlier}").fetchone()
                if n == 0:
                    unseen.append(earlier)
            look.close()
            connection.execute(f"INSERT INTO {table} SELECT range, 'x' FROM range(?)", [rows])
            mine.append(table)

        return Write(rows, run)

    on_two_connections(con, [write(t, 1000 * (len(TABLES) - i)) for i, t in enumerate(TABLES)])
    assert sum(len(tables) for tables in done.values()) == len(TABLES)
    assert max(len(tables) for tables in done.values()) >= 2  # some connection wrote twice
    assert unseen == []


@pytest.mark.parametrize("with_old_id", [False, True], ids=["no run_id", "last night's run_id"])
def test_a_table_and_its_history_get_tonight_s_run_id(tmp_path: Path, with_old_id: bool):
    con = duckdb.connect(str(tmp_path / "night.duckdb"))
    for table in ("source_quality", "source_quality_history"):
        con.execute(f"CREATE TABLE {table} (source VARCHAR, line_no BIGINT, run_id VARCHAR)")
    con.execute("INSERT INTO source_quality VALUES ('visits', 9, 'r1')")
    con.execute(
        "INSERT INTO source_quality_history VALUES ('visits', 9, 'r1'), ('visits', 9, 'r2'), "
        "('visits', 8, 'r2')"
    )
    tonight = pl.concat(  # two chunks, as a frame made a part per source
        [pl.DataFrame({"line_no": [2]}), pl.DataFrame({"line_no": [3]})], rechunk=False
    ).with_columns(source=pl.lit("funeral"))
    if with_old_id:
        tonight = tonight.with_columns(run_id=pl.lit("r2"))
    replace_table("source_quality", tonight, "r3", ["r2"], False, con)
    assert con.execute("SELECT * FROM source_quality ORDER BY line_no").fetchall() == [
        ("funeral", 2, "r3"),
        ("funeral", 3, "r3"),
    ]
    history = con.execute("SELECT * FROM source_quality_history ORDER BY run_id, line_no")
    assert history.fetchall() == [  # r2 was the same night: replaced by r3
        ("visits", 9, "r1"),
        ("funeral", 2, "r3"),
        ("funeral", 3, "r3"),
    ]
    # a back-fill: the history only; the live table stays the newer night's
    replace_table("source_quality", tonight, "r0", [], True, con)
    assert con.execute("SELECT DISTINCT run_id FROM source_quality").fetchall() == [("r3",)]
    assert con.execute(
        "SELECT count(*) FROM source_quality_history WHERE run_id = 'r0'"
    ).fetchone() == (2,)


def parts_frame(sizes: list[int]) -> pl.DataFrame:
    """A frame made a part per source, as person_links: its columns chunked a part each,
    but for one added afterwards (in one chunk)."""
    parts = [
        pl.DataFrame(
            {
                "line_no": pl.Series(range(start, start + n), dtype=pl.Int64),
                "person_id": pl.Series(
                    [f"person-with-a-long-key-{i}" if i % 3 else None for i in range(n)],
                    dtype=pl.String,
                ),
                "status": pl.Series(["正常", "暂停"] * (n // 2) + ["正常"] * (n % 2)).cast(
                    pl.Categorical
                ),
            }
        ).with_columns(source=pl.lit(f"source{k}"))
        for k, (start, n) in enumerate(
            zip(itertools.accumulate([0, *sizes[:-1]]), sizes, strict=True)
        )
    ]
    frame = pl.concat(parts, rechunk=False)
    return frame.with_columns(score=pl.Series(range(frame.height), dtype=pl.Float64) / 7)


@given(st.lists(st.integers(0, 40), min_size=1, max_size=6))
@settings(max_examples=40, deadline=None)
def test_arrow_view_holds_the_frame_as_it_is(sizes: list[int]):
    frame = parts_frame(sizes)
    table = arrow_view(frame)
    assert pl.from_arrow(table).equals(frame)
    con = duckdb.connect()
    con.register("incoming", table)
    rows = con.execute("SELECT * FROM incoming ORDER BY line_no").fetchall()
    assert rows == frame.sort("line_no").rows()


def test_arrow_view_keeps_each_column_s_own_chunks():
    frame = parts_frame([50_000, 30_000, 20_000])
    chunks = {name: [len(c) for c in frame[name].get_chunks()] for name in frame.columns}
    assert chunks["line_no"] == [50_000, 30_000, 20_000] and chunks["score"] == [100_000]
    table = arrow_view(frame)  # not lined up (polars' `to_arrow` copies them into one)
    assert {name: [len(c) for c in table.column(name).chunks] for name in frame.columns} == chunks
    assert {name: [len(c) for c in frame[name].get_chunks()] for name in frame.columns} == chunks
