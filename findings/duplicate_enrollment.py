"""Duplicate enrollment (重复参保): active on the residents' roster and the employee roster.

Under 城乡养老保险制度衔接暂行办法 (第七、八条) the employee scheme prevails: resident
contributions for the overlapping months are refunded; where both pensions are drawn the
resident one ends and its basic pension paid is recovered.
"""

from __future__ import annotations

import polars as pl

from pensionlink.vocabulary import ACTIVE_STATUSES, RECEIVING

__all__ = ["duplicate_enrollment"]

#: The order the rows are kept in (nulls first); `findings.partitioned` sorts the parts' rows by it.
ORDER = ("pension_no",)

COLUMNS = ("citizen_id", "pension_no", "name", "resident_status", "employee_status", "action")


def duplicate_enrollment(linked: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """The `duplicate_enrollment` rows of one night (without run_id)."""
    resident = linked["resident_roster"].filter(
        pl.col("status").is_in(ACTIVE_STATUSES) & pl.col("person_id").is_not_null()
    )
    employee = (
        linked["employee_roster"]
        .filter(pl.col("person_id").is_not_null())
        .group_by("person_id")
        .agg(employee_status=pl.col("status").sort().first())
    )
    both_drawing = (pl.col("resident_status") == RECEIVING) & (pl.col("employee_status") == "退休")
    return (
        resident.select(
            "person_id",
            "pension_no",
            "name",
            citizen_id=pl.coalesce("citizen_id", "person_id"),
            resident_status="status",
        )
        .join(employee, on="person_id", how="inner")
        .with_columns(
            action=pl.when(both_drawing)
            .then(pl.lit("终止城乡居民养老保险待遇，追回已领基础养老金"))
            .otherwise(pl.lit("以职工养老保险为准，退还重叠期间城乡居民养老保险缴费"))
        )
        .select(COLUMNS)
        .sort(ORDER)
    )
