"""What the death documents are printed from (文书数据): tonight's death cases waiting for
the family's notice (state `confirmed`, 待告知), each with its deaths_to_deregister row.

The one reader in the reports that keeps whole citizen IDs: the heirs' notice must name
the deceased exactly. The IDs go only into the notices (the 结算单 masks them) and never
into a log. A database without a `cases` table has no documents (`None`).
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from pensionlink.reports.death_documents import NoticeTerms, load_bureau
from pensionlink.settings import PolicyError, load_policy
from pensionlink.vocabulary import MONEY
from pensionlink.warehouse.queries import death_cases_to_notify, has_table
from pensionlink.warehouse.store import Warehouse

__all__ = ["DeathDocuments", "load_death_documents", "with_subsidy_at_death"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeathDocuments:
    """The night's death cases to notify (whole IDs) and the terms every notice shares."""

    rows: pl.DataFrame
    terms: NoticeTerms

    def for_township(self, township: str) -> pl.DataFrame:
        return self.rows.filter(pl.col("township") == township)


def with_subsidy_at_death(rows: pl.DataFrame, subsidy_on) -> pl.DataFrame:
    """Add `funeral_subsidy_at_death`: `subsidy_on(death_date)` (the policy's amount in
    force that day) for each row; null where no date or no value in force (the night's
    amount then stands)."""

    def on(day: dt.date | None):
        if day is None:
            return None
        try:
            return subsidy_on(day)
        except PolicyError:
            return None

    values = [on(d) for d in rows["death_date"].to_list()] if rows.height else []
    return rows.with_columns(
        pl.Series("funeral_subsidy_at_death", values, dtype=pl.Decimal(12, 2)).cast(MONEY)
    )


def load_death_documents(
    warehouse: Warehouse,
    as_of: dt.date,
    run_id: str,
    policy: Path | None = None,
    bureau: Path | None = None,
) -> DeathDocuments | None:
    """Tonight's death cases to notify with their settlement; `None` without cases. The
    objection window is the policy's `objection_window_days` in force on `as_of` (the
    notice date printed), the funeral subsidy the one in force on each date of death."""
    if not all(warehouse.frame(has_table(t))["n"][0] for t in ("cases", "deaths_to_deregister")):
        return None
    rows = warehouse.frame(death_cases_to_notify())
    # the policy file read once per date of death, not once per row
    subsidy_on = functools.cache(lambda day: load_policy(day, policy).funeral_subsidy)
    rows = with_subsidy_at_death(rows, subsidy_on)
    terms = NoticeTerms(
        notice_date=as_of,
        objection_days=load_policy(as_of, policy).objection_window_days,
        bureau=load_bureau(bureau),
        run_id=run_id,
    )
    log.info("death documents: %d case(s) to notify", rows.height)
    return DeathDocuments(rows=rows, terms=terms)
