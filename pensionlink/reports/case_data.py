"""The cases as the reports read them (案件台账数据): the night's `cases`, IDs masked.

A database from before the cases (issue 16) has no `cases` table: then there are none to
show (`None`), and the reports leave out the 工作台账 sheet, the flow section and the
documents rather than fail.
"""

from __future__ import annotations

import polars as pl

from pensionlink.connectors.citizen_id import mask_citizen_id
from pensionlink.vocabulary import MONEY
from pensionlink.warehouse.queries import (
    case_events_of,
    has_table,
    report_rows,
    run_dates,
    subsidy_claim_deaths,
)
from pensionlink.warehouse.store import Warehouse

__all__ = [
    "CASE_COLUMNS",
    "CLAIM_DEATH_COLUMNS",
    "EVENT_COLUMNS",
    "as_report_cases",
    "empty_cases",
    "read_case_events",
    "read_cases",
    "read_claim_deaths",
    "read_run_dates",
]

#: The `cases` columns the reports use, with their types (cases-model.md).
CASE_COLUMNS: dict[str, pl.DataType] = {
    "case_id": pl.String,
    "kind": pl.String,
    "citizen_id": pl.String,
    "name": pl.String,
    "township": pl.String,
    "village": pl.String,
    "state": pl.String,
    "opened_run": pl.String,
    "last_seen_run": pl.String,
    "closed_run": pl.String,
    "close_reason": pl.String,
    "nights_open": pl.Int32,
    "new_tonight": pl.Boolean,
    "next_step": pl.String,
    "notice_date": pl.Date,
    "objection_until": pl.Date,
    "amount_due": MONEY,
    "amount_recovered": MONEY,
    "balance": MONEY,
    "balance_since": pl.Date,
    "outcome": pl.String,
    "months_repaid": pl.Int32,  # an advance's ledger (垫付台账)
    "months_left": pl.Int32,
    "months_flagged": pl.Int32,
    "flagged_months": pl.String,
}


#: The events of the cases the forms and ledgers print (`case_events`, without run_id).
EVENT_COLUMNS: dict[str, pl.DataType] = {
    "case_id": pl.String,
    "at": pl.Datetime("us"),
    "by": pl.String,
    "role": pl.String,
    "action": pl.String,
    "from_state": pl.String,
    "to_state": pl.String,
    "note": pl.String,
    "amount": MONEY,
    "outcome": pl.String,
}
#: A subsidy claim's death, as the latest night that listed it had it.
CLAIM_DEATH_COLUMNS: dict[str, pl.DataType] = {
    "case_id": pl.String,
    "death_date": pl.Date,
    "pension_no": pl.String,
    "status_at_death": pl.String,
}
#: The kinds whose every step the reports print (发放审批表, 垫付台账).
_PRINTED_KINDS = ("subsidy", "advance")


def read_case_events(warehouse: Warehouse) -> pl.DataFrame:
    """The events of every subsidy claim and advance (empty without the tables)."""
    if not all(warehouse.frame(has_table(t))["n"][0] for t in ("cases", "case_events")):
        return pl.DataFrame(schema=EVENT_COLUMNS)
    return warehouse.frame(case_events_of(_PRINTED_KINDS)).cast(EVENT_COLUMNS)


def read_claim_deaths(warehouse: Warehouse) -> pl.DataFrame:
    """Each subsidy claim's date of death, pension number and status at death."""
    tables = ("cases", "deaths_to_deregister_history", "runs")
    if not all(warehouse.frame(has_table(t))["n"][0] for t in tables):
        return pl.DataFrame(schema=CLAIM_DEATH_COLUMNS)
    return warehouse.frame(subsidy_claim_deaths()).cast(CLAIM_DEATH_COLUMNS)


def empty_cases() -> pl.DataFrame:
    """No cases, with the columns the reports read."""
    return pl.DataFrame(schema=CASE_COLUMNS)


def read_cases(warehouse: Warehouse, run_id: str | None = None) -> pl.DataFrame | None:
    """The night's cases (every case the store knows, open and closed), citizen IDs
    masked (前6后4); `None` when the database has no `cases` table."""
    if not warehouse.frame(has_table("cases"))["n"][0]:
        return None
    if run_id is not None and not warehouse.frame(has_table("cases_history"))["n"][0]:
        return None
    return as_report_cases(warehouse.frame(report_rows("cases", run_id)))


def as_report_cases(frame: pl.DataFrame) -> pl.DataFrame:
    """Cases in the warehouse's columns (`worklist.warehouse_cases`) as the reports read
    them: the report's columns and types, citizen IDs masked (前6后4)."""
    missing = [c for c in CASE_COLUMNS if c not in frame.columns]
    frame = frame.with_columns(pl.lit(None, CASE_COLUMNS[c]).alias(c) for c in missing)
    return (
        frame.select(list(CASE_COLUMNS))
        .cast(CASE_COLUMNS)
        .with_columns(mask_citizen_id(pl.col("citizen_id")).alias("citizen_id"))
    )


def read_run_dates(warehouse: Warehouse) -> pl.DataFrame:
    """run_id → as_of of every run (the night each case was opened or closed on)."""
    return warehouse.frame(run_dates()).cast({"run_id": pl.String, "as_of": pl.Date})
