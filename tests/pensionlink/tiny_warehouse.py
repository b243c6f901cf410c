"""A tiny published warehouse for tests that need one but not a whole night."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

from pensionlink.settings import Settings, load_policy
from pensionlink.warehouse.run_record import run_frame
from pensionlink.warehouse.store import publish_night as store_publish_night


def coverage(townships: dict[str, int]) -> pl.DataFrame:
    """One village per township with `n` residents, all insured."""
    return pl.DataFrame(
        {
            "township": list(townships),
            "village": ["一村"] * len(townships),
            "residents_16_plus": list(townships.values()),
            "insured": list(townships.values()),
            "uninsured_eligible": [0] * len(townships),
            "coverage_rate": [1.0] * len(townships),
        },
        schema_overrides={
            "residents_16_plus": pl.Int32,
            "insured": pl.Int32,
            "uninsured_eligible": pl.Int32,
        },
    )


def publish_night(db: Path, as_of: dt.date, townships: dict[str, int], started: dt.datetime):
    """Publish a night whose only rows are coverage rows; returns (run_id, status)."""
    settings = Settings(extracts=db.parent, db=db, as_of=as_of, policy=load_policy(as_of))
    run = run_frame(settings, None, started, [], inputs=f"tiny-{as_of}")
    status = store_publish_night(db, run, {"coverage_by_area": coverage(townships)})
    return run["run_id"][0], status
