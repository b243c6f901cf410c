"""A night's writes on two connections: every write lands once, on one connection, and a
write is its own transaction, and one that fails is undone and stops the rest."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import duckdb
import pytest

from pensionlink.warehouse.night_writes import Write, on_two_connections

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
