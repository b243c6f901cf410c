"""The warehouse's schema: created with comments, and older databases brought up to date."""

from __future__ import annotations

from pathlib import Path

import duckdb

from pensionlink.warehouse import store
from pensionlink.warehouse.store import (
    HISTORY_TABLES,
    is_encrypted,
    open_warehouse,
    write_warehouse,
)
from pensionlink.warehouse.tables import table_definitions


def columns(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, str | None]:
    return dict(
        con.execute(
            "SELECT column_name, comment FROM duckdb_columns() WHERE table_name = ?", [table]
        ).fetchall()
    )


def test_every_table_and_column_has_a_chinese_comment(tmp_path: Path):
    with open_warehouse(tmp_path / "w.duckdb") as warehouse:
        con = warehouse.con
        tables = con.execute(
            "SELECT table_name, comment FROM duckdb_tables() WHERE schema_name = 'main'"
        ).fetchall()
        assert {f"{t}_history" for t in HISTORY_TABLES} <= {t for t, _ in tables}
        for table, comment in tables:
            assert comment and any("\u4e00" <= ch <= "\u9fff" for ch in comment), table
            for column, note in columns(con, table).items():
                assert note and any("\u4e00" <= ch <= "\u9fff" for ch in note), (table, column)


def test_columns_added_later_reach_old_tables_and_their_history(tmp_path: Path):
    db = tmp_path / "old.duckdb"
    with duckdb.connect(str(db)) as con:  # a database from before the repayment columns
        con.execute(
            "CREATE TABLE uninsured_eligible (citizen_id VARCHAR, name VARCHAR, "
            "township VARCHAR, village VARCHAR, age INTEGER, category VARCHAR, "
            "special_groups VARCHAR[], advance_amount DECIMAL(12, 2), evidence VARCHAR, "
            "run_id VARCHAR)"
        )
        con.execute("CREATE TABLE uninsured_eligible_history AS FROM uninsured_eligible")
        con.execute(
            "INSERT INTO uninsured_eligible_history VALUES "
            "('x', '金某', '三合镇', '三合村', 70, 'back_payment', [], 1000, 'e', 'r1')"
        )
    with write_warehouse(db) as warehouse:  # an older, unencrypted file: encrypted on the way
        for table in ("uninsured_eligible", "uninsured_eligible_history"):
            got = columns(warehouse.con, table)
            assert {"monthly_pension_estimate", "repay_months"} <= set(got), table
            assert got["repay_months"].startswith("垫付偿还月数")
        kept = warehouse._frame("SELECT run_id, repay_months FROM uninsured_eligible_history")
    assert kept.rows() == [("r1", None)]  # earlier nights kept, the new column empty
    assert is_encrypted(db)


def test_a_database_already_at_these_definitions_is_not_checked_again(tmp_path, monkeypatch):
    db = tmp_path / "w.duckdb"
    with write_warehouse(db):
        pass

    def unread(*_args):
        raise AssertionError("the table definitions were run again")

    monkeypatch.setattr(store, "table_definitions", unread)  # the fingerprint stays cached
    with write_warehouse(db) as warehouse:
        assert warehouse._frame("SELECT count(*) AS n FROM runs")["n"][0] == 0


def test_changed_definitions_are_brought_in_on_the_next_write(tmp_path, monkeypatch):
    db = tmp_path / "w.duckdb"
    with write_warehouse(db):
        pass
    added = (
        "ALTER TABLE runs ADD COLUMN IF NOT EXISTS checked_by VARCHAR;\n"
        "COMMENT ON COLUMN runs.checked_by IS '复核人';\n"
    )
    definitions = [(t, ddl + added if t == "runs" else ddl) for t, ddl in table_definitions()]
    monkeypatch.setattr(store, "table_definitions", lambda: definitions)
    store._schema_fingerprint.cache_clear()
    try:
        with write_warehouse(db) as warehouse:
            assert "checked_by" in columns(warehouse.con, "runs")
    finally:
        store._schema_fingerprint.cache_clear()
