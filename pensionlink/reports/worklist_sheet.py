"""The township's worklist (工作台账): its open cases, by village, oldest first. Pure.

One row per open case (state not `closed`): the village, case id, kind and state in the
staff's words, days open (nights the case has been open), the next step, whether it was
opened tonight (新), the masked ID and the name. Sorted by village, then the oldest case
first, so a village's clerk works down the list.
"""

from __future__ import annotations

import polars as pl

from pensionlink.reports.labels import CASE_KIND, CASE_STATE

__all__ = ["NEW_MARK", "worklist_rows"]

NEW_MARK = "新"
CLOSED = "closed"


def worklist_rows(cases: pl.DataFrame) -> pl.DataFrame:
    """The open cases of `cases` (one township's, IDs masked) as the 工作台账 shows them."""
    return (
        cases.filter(pl.col("state") != CLOSED)
        .with_columns(
            kind_text=pl.col("kind").replace_strict(CASE_KIND, default=pl.col("kind")),
            state_text=pl.col("state").replace_strict(CASE_STATE, default=pl.col("state")),
            new_text=pl.when(pl.col("new_tonight").fill_null(False))
            .then(pl.lit(NEW_MARK))
            .otherwise(pl.lit("")),
            nights_open=pl.col("nights_open").fill_null(0),
        )
        .sort(
            ["village", "nights_open", "case_id"], descending=[False, True, False], nulls_last=True
        )
    )
