"""Custody on a date (羁押/服刑): who was held by 公安局 on a given day.

A person in custody on the date of death gets no funeral subsidy (annex 2, 二(三)2).
A term covers its 入所日期 through its 出所日期 inclusive; an empty 出所日期 means still held.
"""

from __future__ import annotations

import polars as pl

__all__ = ["in_custody_on"]


def in_custody_on(asked: pl.DataFrame, custody: pl.DataFrame) -> pl.DataFrame:
    """Add boolean `in_custody` to `asked` (columns person_id, on_date)."""
    q = asked.with_row_index("_q")
    terms = custody.filter(pl.col("person_id").is_not_null()).select(
        "person_id", "start_date", "end_date"
    )
    held = (
        q.select("_q", "person_id", "on_date")
        .join(terms, on="person_id", how="inner")
        .filter(
            (pl.col("start_date") <= pl.col("on_date"))
            & (pl.col("end_date").is_null() | (pl.col("end_date") >= pl.col("on_date")))
        )
        .select("_q")
        .unique()
        .with_columns(in_custody=pl.lit(True))
    )
    return (
        q.join(held, on="_q", how="left")
        .with_columns(pl.col("in_custody").fill_null(False))
        .sort("_q")
        .drop("_q")
    )
