"""Coverage by township and village (参保覆盖率), the measure each township is assessed on.

Per hukou township and village: residents aged 16+, how many are insured (either
scheme), how many are eligible and uninsured, and the rate insured / residents.
"""

from __future__ import annotations

import datetime as dt

import polars as pl
from pensionlink.findings.residents import residents_16_plus

from pensionlink.settings import Policy

__all__ = ["RATE_DIGITS", "coverage_by_area", "coverage_rate"]

#: The order the rows are kept in (nulls last); `findings.partitioned` sorts the parts' rows by it.
ORDER = ("township", "village")

#: Places the coverage rate is kept to (0.9123 = 91.23 %).
RATE_DIGITS = 4


def coverage_rate(
    insured: str | pl.Expr = "insured",
    residents: str | pl.Expr = "residents_16_plus",
    *,
    digits: int | None = RATE_DIGITS,
) -> pl.Expr:
    """参保率: insured ÷ residents aged 16+, null where there are no residents; the one
    rule every table, page and chart of the rate uses.

    Rounded to `digits` places as tables keep it (`RATE_DIGITS`); `digits=None` gives
    the exact rate, for a percentage shown with fewer places (6,319 of 7,500 is
    0.842533…, kept as 0.8425, which rounded again would show 84.2 % instead of 84.3 %).
    """
    insured = pl.col(insured) if isinstance(insured, str) else insured
    residents = pl.col(residents) if isinstance(residents, str) else residents
    rate = insured / residents
    return pl.when(residents > 0).then(rate if digits is None else rate.round(digits))


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
        .with_columns(coverage_rate=coverage_rate())
        .sort(ORDER, nulls_last=True)
    )
