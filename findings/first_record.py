"""Each person's first record in a source (每人首条记录), for names and areas.

A finding of a few thousand people takes their name, township or village from the hukou
or a roster: the first row each has there, its few columns only — not the source of a
million rows filtered and de-duplicated whole (eager polars copies every column).
"""

from __future__ import annotations

import polars as pl

__all__ = ["first_record"]


def first_record(frame: pl.DataFrame, on: str, among: pl.Series, **columns: str) -> pl.DataFrame:
    """`on` and `columns` (new name = column of `frame`) of the first row of `frame` for
    each value of `among` (nulls ignored) that has one."""
    return (
        frame.lazy()
        .filter(pl.col(on).is_in(among.drop_nulls().implode()))
        .unique(on, keep="first")
        .select(on, **columns)
        .collect()
    )
