"""Table definitions (表结构): one `sql/<table>.sql` file per table, the only place a
published table's columns and types are declared.

The polars shape of a table is read from those files by DuckDB itself (the statements run
once per process in an empty in-memory database), so a frame built for the warehouse —
the `runs` row, a report's empty table — cannot drift from what is stored. The rules'
own output columns (findings' `COLUMNS`) are checked against these in the tests.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

import duckdb
import polars as pl

__all__ = ["FINDING_TABLES", "HISTORY_TABLES", "table_definitions", "table_schema"]

# Tables replaced each night; those in HISTORY_TABLES also keep every night's rows in
# `<table>_history`.
FINDING_TABLES = (
    "deaths_to_deregister",
    "uninsured_eligible",
    "duplicate_funeral_benefits",
    "coverage_by_area",
    "duplicate_enrollment",
    "person_links",
    "rejected_rows",
    "source_quality",
    "review_queue",
    "agency_disagreements",
    "cases",
    "case_events",
)
HISTORY_TABLES = (
    "deaths_to_deregister",
    "uninsured_eligible",
    "duplicate_funeral_benefits",
    "coverage_by_area",
    "duplicate_enrollment",
    "source_quality",
    "agency_disagreements",
    "cases",
)


def table_definitions() -> list[tuple[str, str]]:
    """(table, its SQL) for every `sql/*.sql` file, by file name."""
    sql_dir = resources.files("pensionlink.warehouse") / "sql"
    return [
        (p.name.removesuffix(".sql"), p.read_text(encoding="utf-8"))
        for p in sorted(sql_dir.iterdir(), key=lambda p: p.name)
        if p.name.endswith(".sql")
    ]


@cache
def _schemas() -> dict[str, pl.Schema]:
    con = duckdb.connect()
    try:
        for _table, ddl in table_definitions():
            con.execute(ddl)
        tables = con.sql("SELECT schema_name, table_name FROM duckdb_tables()").fetchall()
        return {
            (name if schema == "main" else f"{schema}.{name}"): con.sql(
                f'SELECT * FROM "{schema}"."{name}" LIMIT 0'
            )
            .pl()
            .schema
            for schema, name in tables
        }
    finally:
        con.close()


def table_schema(table: str) -> dict[str, pl.DataType]:
    """The columns of `table` (`snapshots.<name>` for the snapshot schema) in stored
    order, with their polars types."""
    return dict(_schemas()[table])
