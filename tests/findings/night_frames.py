"""Tiny linked nights for the findings tests: every source present, only what a test sets."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import polars as pl

MONEY = pl.Decimal(12, 2)
D = dt.date.fromisoformat

_LINK = {
    "citizen_id": pl.String,
    "person_id": pl.String,
    "link_method": pl.String,
    "name": pl.String,
}
SCHEMAS: dict[str, dict[str, pl.DataType]] = {
    "hukou": {
        **_LINK,
        "sex": pl.String,
        "birth_date": pl.Date,
        "id_birth_date": pl.Date,
        "township": pl.String,
        "village": pl.String,
        "hukou_status": pl.String,
        "death_date": pl.Date,
    },
    "custody": {**_LINK, "start_date": pl.Date, "end_date": pl.Date},
    "assistance": {**_LINK, "category": pl.String, "start_date": pl.Date, "end_date": pl.Date},
    "funeral": {**_LINK, "death_date": pl.Date},
    "pension_fuxu": {**_LINK, "category": pl.String, "paid_date": pl.Date, "amount": MONEY},
    "medical_enrollment": {
        **_LINK,
        "status": pl.String,
        "end_date": pl.Date,
        "end_reason": pl.String,
    },
    "death_certificates": {**_LINK, "death_date": pl.Date},
    "visits": {**_LINK, "visit_date": pl.Date},
    "disabled": {**_LINK, "grade": pl.Int8},
    "poverty": {**_LINK, "household_type": pl.String},
    "resident_roster": {
        **_LINK,
        "pension_no": pl.String,
        "township": pl.String,
        "village": pl.String,
        "status": pl.String,
        "account_balance": MONEY,
    },
    "status_changes": {
        "pension_no": pl.String,
        "status_before": pl.String,
        "status_after": pl.String,
        "changed_date": pl.Date,
        "reason": pl.String,
    },
    "pension_payments": {"pension_no": pl.String, "pay_month": pl.Date, "amount": MONEY},
    "funeral_subsidies": {
        **_LINK,
        "pension_no": pl.String,
        "scheme": pl.String,
        "paid_date": pl.Date,
        "amount": MONEY,
    },
    "employee_roster": {**_LINK, "status": pl.String},
}


def frame(source: str, rows: list[dict]) -> pl.DataFrame:
    """Rows for one source; `person_id` defaults to `citizen_id`, `link_method` to 'id'."""
    schema = SCHEMAS[source]
    filled = []
    for row in rows:
        row = dict(row)
        if "citizen_id" in schema:
            row.setdefault("person_id", row.get("citizen_id"))
            row.setdefault("link_method", "id" if row.get("person_id") else None)
        for key in ("amount", "account_balance"):
            if isinstance(row.get(key), str):
                row[key] = Decimal(row[key])
        filled.append({k: row.get(k) for k in schema})
    return (
        pl.DataFrame(filled, schema=schema, orient="row") if filled else pl.DataFrame(schema=schema)
    )


def night(**sources: list[dict]) -> dict[str, pl.DataFrame]:
    """A linked night with the given rows per source and every other source empty."""
    return {name: frame(name, sources.get(name, [])) for name in SCHEMAS}


def monthly(pension_no: str, first: str, last: str, amount: str) -> list[dict]:
    """Payment rows for every month from `first` to `last` (YYYY-MM)."""
    y, m = map(int, first.split("-"))
    rows = []
    while f"{y:04d}-{m:02d}" <= last:
        rows.append({"pension_no": pension_no, "pay_month": dt.date(y, m, 1), "amount": amount})
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return rows
