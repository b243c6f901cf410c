"""Roster status in force on a date (某日参保状态), from the status-change history.

The roster shows today's 参保状态; the rules need the status on the date of death. The
status in force on day D is the `变更后状态` of the last change made before D; with no
earlier change it is the `变更前状态` of the first change on or after D; with no change
at all, today's status. A change dated on D itself is taken to follow the event of that
day (a 暂停 or 终止 entered because of the death must not cost the heirs the subsidy).

A history that does not hold together (`findings.status_history`) gives `unknown`: the
status read from it would be a guess. When the date of death is unknown, the statuses
that were ever in force up to the latest possible date of death still tell whether the
person ever received a pension (`ever_receiving`).
"""

from __future__ import annotations

import polars as pl

from pensionlink.vocabulary import RECEIVING

__all__ = ["UNKNOWN_STATUS", "ever_receiving", "status_at_death", "status_on"]

UNKNOWN_STATUS = "unknown"


def _changes_of(q: pl.DataFrame, date: str, changes: pl.DataFrame) -> pl.DataFrame:
    """Each asked row (`_q`, pension_no, `date`) beside every change of its record."""
    return q.select("_q", "pension_no", date).join(
        changes.select("pension_no", "status_before", "status_after", "changed_date"),
        on="pension_no",
        how="inner",
    )


def status_on(asked: pl.DataFrame, roster: pl.DataFrame, changes: pl.DataFrame) -> pl.DataFrame:
    """Add `status_on_date` to `asked` (columns pension_no, on_date).

    `roster` gives pension_no and status (today's); `changes` pension_no, status_before,
    status_after, changed_date.
    """
    q = asked.with_row_index("_q")
    history = _changes_of(q, "on_date", changes)
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


def status_at_death(
    asked: pl.DataFrame, roster: pl.DataFrame, changes: pl.DataFrame, problems: pl.DataFrame
) -> pl.DataFrame:
    """`status_on`, with `unknown` for the pension numbers in `problems` (the histories
    that do not hold together, `findings.status_history.history_problems`)."""
    out = status_on(asked, roster, changes)
    broken = pl.col("pension_no").is_in(problems["pension_no"].implode())
    return out.with_columns(
        status_on_date=pl.when(broken).then(pl.lit(UNKNOWN_STATUS)).otherwise("status_on_date")
    )


def ever_receiving(
    asked: pl.DataFrame, roster: pl.DataFrame, changes: pl.DataFrame
) -> pl.DataFrame:
    """Add boolean `ever_receiving` to `asked` (columns pension_no, until): whether any
    status in force up to `until` (null: any date) was 待遇领取.

    The statuses in force up to D are the 变更前状态 of every change dated on or before D
    and of the first change after D, and the 变更后状态 of every change dated before D (a
    change on D itself, such as the termination because of the death, follows the event);
    with no change at all, today's status. Null when nothing is known.
    """
    q = asked.with_row_index("_q")
    history = _changes_of(q, "until", changes)
    up_to = pl.col("until").is_null() | (pl.col("changed_date") <= pl.col("until"))
    before_until = pl.col("until").is_null() | (pl.col("changed_date") < pl.col("until"))
    # the state in force on `until` when no change precedes it: the next change's before
    next_after = (~up_to) & (
        pl.col("changed_date") == pl.col("changed_date").filter(~up_to).min().over("_q")
    )
    seen = history.group_by("_q").agg(
        _changes=pl.len(),
        _received=(
            ((up_to | next_after) & (pl.col("status_before") == RECEIVING))
            | (before_until & (pl.col("status_after") == RECEIVING))
        ).any(),
    )
    today = roster.select("pension_no", _today="status").unique("pension_no", keep="first")
    out = (
        q.join(seen, on="_q", how="left")
        .join(today, on="pension_no", how="left")
        .with_columns(
            ever_receiving=pl.when(pl.col("_changes").is_not_null())
            .then(pl.col("_received"))
            .otherwise(pl.col("_today") == RECEIVING)
        )
        .sort("_q")
    )
    return out.drop("_q", "_changes", "_received", "_today")
