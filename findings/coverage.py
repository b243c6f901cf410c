"""Coverage by township and village (参保覆盖率), the measure each township is assessed on.

Per hukou township and village: residents aged 16+, how many are insured (either
scheme), how many are eligible and uninsured, and the rate insured / residents.
"""

from __future__ import annotations

import datetime as dt

import polars as pl
from pensionlink.findings.residents import residents_16_plus

from pensionlink.settings import Policy

__all__ = ["coverage_by_area"]


def coverage_by_area(
    linked: dict[str, pl.DataFrame],
    as_of: dt.date,
    policy: Policy,
    residents: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """The `coverage_by_area` rows of one night (without run_id); `residents`
    is `residents_16_plus(...)` when the caller has it already."""
    if residents is None:
        residents = residents_16_plus(linked, as_of, policy.enrollment_min_age)
    return (
        residents.group_by("township", "village")
        .agg(
            residents_16_plus=pl.len().cast(pl.Int32),
            insured=pl.col("insured").sum().cast(pl.Int32),
            uninsured_eligible=(~pl.col("insured")).sum().cast(pl.Int32),
        )
        .with_columns(coverage_rate=(pl.col("insured") / pl.col("residents_16_plus")).round(4))
        .sort("township", "village", nulls_last=True)
    )
