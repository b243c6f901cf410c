"""Roster status in force on a date (某日参保状态), from the status-change history.

The roster shows today's 参保状态; the rules need the status on the date of death. The
status in force on day D is the `变更后状态` of the last change made before D; with no
earlier change it is the `变更前状态` of the first change on or after D; with no change
at all, today's status. A change dated on D itself is taken to follow the event of that
day (a 暂停 or 终止 entered because of the death must not cost the heirs the subsidy).
"""

from __future__ import annotations

import polars as pl

__all__ = ["status_on"]


def status_on(asked: pl.DataFrame, roster: pl.DataFrame, changes: pl.DataFrame) -> pl.DataFrame:
    """Add `status_on_date` to `asked` (columns pension_no, on_date).

    `roster` gives pension_no and status (today's); `changes` pension_no, status_before,
    status_after, changed_date.
    """
    q = asked.with_row_index("_q")
    history = q.select("_q", "pension_no", "on_date").join(
        changes.select("pension_no", "status_before", "status_after", "changed_date"),
        on="pension_no",
        how="inner",
    )
    before = (
        history.filter(pl.col("changed_date") < pl.col("on_date"))
        .sort("changed_date")
        .group_by("_q")
        .agg(_before=pl.col("status_after").last())
    )
    after = (
        history.filter(pl.col("changed_date") >= pl.col("on_date"))
        .sort("changed_date")
        .group_by("_q")
        .agg(_after=pl.col("status_before").first())
    )
    today = roster.select("pension_no", _today="status").unique("pension_no", keep="first")
    out = (
        q.join(before, on="_q", how="left")
        .join(after, on="_q", how="left")
        .join(today, on="pension_no", how="left")
        .with_columns(status_on_date=pl.coalesce("_before", "_after", "_today"))
        .sort("_q")
    )
    return out.drop("_q", "_before", "_after", "_today")
