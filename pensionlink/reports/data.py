"""What the reports show, read from the warehouse in one go (报表数据).

The queries live here as parameterised SQL handed to the warehouse, which runs them;
citizen IDs are masked right after reading, so no report writer ever
holds a whole ID.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

import polars as pl

from matching.citizen_id import mask_citizen_id
from pensionlink.store import Warehouse

__all__ = ["NothingPublished", "ReportData", "load_report_data"]

LATEST_RUN = """
SELECT run_id, as_of, finished_at FROM runs
WHERE status = 'published' ORDER BY finished_at DESC LIMIT 1
"""
DEATHS = "SELECT * EXCLUDE (run_id) FROM deaths_to_deregister ORDER BY township, village, name"
UNINSURED = """
SELECT * EXCLUDE (run_id) FROM uninsured_eligible
ORDER BY township, village, category, name
"""
FUNERAL = """
SELECT * EXCLUDE (run_id) FROM duplicate_funeral_benefits
ORDER BY township, village, name, kind
"""
COVERAGE = "SELECT * EXCLUDE (run_id) FROM coverage_by_area ORDER BY township, village"
# One point per night (as-of date) and township: the last run published for that night.
COVERAGE_TREND = """
WITH per_run AS (
    SELECT r.as_of, r.finished_at, h.township,
           sum(h.residents_16_plus)::BIGINT AS residents_16_plus,
           sum(h.insured)::BIGINT AS insured,
           sum(h.uninsured_eligible)::BIGINT AS uninsured_eligible
    FROM coverage_by_area_history h JOIN runs r USING (run_id)
    WHERE r.status = 'published'
    GROUP BY ALL
)
SELECT as_of, township, residents_16_plus, insured, uninsured_eligible,
       round(insured / residents_16_plus, 4) AS coverage_rate
FROM per_run
QUALIFY row_number() OVER (PARTITION BY as_of, township ORDER BY finished_at DESC) = 1
ORDER BY as_of, township
"""
QUALITY = """
SELECT agency, title, source, stale, note, rows_read, rows_rejected,
       ids_valid, ids_repaired, ids_invalid, ids_mangled, ids_empty,
       rows_linked, rows_unlinked, expectations, expectations_failed
FROM source_quality ORDER BY agency, source
"""


@dataclass(frozen=True)
class ReportData:
    """The latest published night, IDs already masked (前6后4)."""

    run_id: str
    as_of: dt.date
    finished_at: dt.datetime
    deaths: pl.DataFrame
    uninsured: pl.DataFrame
    funeral: pl.DataFrame
    coverage: pl.DataFrame
    coverage_trend: pl.DataFrame
    quality: pl.DataFrame

    @property
    def townships(self) -> list[str]:
        """Every township named in tonight's coverage or findings, in a stable order."""
        names = pl.concat(
            [
                f.select("township")
                for f in (self.coverage, self.deaths, self.uninsured, self.funeral)
            ]
        )["township"]
        return sorted(names.drop_nulls().unique().to_list())

    def for_township(self, township: str) -> ReportData:
        """The same night, only the rows of one township."""
        keep = pl.col("township") == township
        return replace(
            self,
            deaths=self.deaths.filter(keep),
            uninsured=self.uninsured.filter(keep),
            funeral=self.funeral.filter(keep),
            coverage=self.coverage.filter(keep),
            coverage_trend=self.coverage_trend.filter(keep),
        )


class NothingPublished(LookupError):
    """The database holds no published night yet."""


def load_report_data(warehouse: Warehouse) -> ReportData:
    """Read the latest published night's findings for the reports."""
    latest = warehouse.frame(LATEST_RUN)
    if latest.is_empty():
        raise NothingPublished("no published night in the database yet; run `pensionlink run`")
    run = latest.row(0, named=True)
    masked = mask_citizen_id(pl.col("citizen_id")).alias("citizen_id")
    return ReportData(
        run_id=run["run_id"],
        as_of=run["as_of"],
        finished_at=run["finished_at"],
        deaths=warehouse.frame(DEATHS).with_columns(masked),
        uninsured=warehouse.frame(UNINSURED).with_columns(masked),
        funeral=warehouse.frame(FUNERAL).with_columns(masked),
        coverage=warehouse.frame(COVERAGE),
        coverage_trend=warehouse.frame(COVERAGE_TREND),
        quality=warehouse.frame(QUALITY),
    )
