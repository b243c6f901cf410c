"""What the reports show, read from the warehouse in one go (报表数据).

The queries live here as parameterised SQL handed to the warehouse, which runs them;
citizen IDs are masked right after reading, so no report writer ever
holds a whole ID.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

import polars as pl

from findings.agency_disagreements import SCHEMA as DISAGREEMENT_COLUMNS
from matching.citizen_id import mask_citizen_id
from pensionlink.store import Warehouse

__all__ = ["NothingPublished", "ReportData", "load_report_data"]

# The latest night (not the latest run: a back-fill of an older night is run later).
LATEST_RUN = """
SELECT run_id, as_of, finished_at FROM runs
WHERE status = 'published' ORDER BY as_of DESC, finished_at DESC LIMIT 1
"""
# A given run that wrote history (published or back-filled).
ONE_RUN = """
SELECT run_id, as_of, finished_at FROM runs
WHERE run_id = ? AND status IN ('published', 'backfilled')
"""
DEATHS = "SELECT * EXCLUDE (run_id) FROM {deaths_to_deregister} ORDER BY township, village, name"
UNINSURED = """
SELECT * EXCLUDE (run_id) FROM {uninsured_eligible}
ORDER BY township, village, category, name
"""
FUNERAL = """
SELECT * EXCLUDE (run_id) FROM {duplicate_funeral_benefits}
ORDER BY township, village, name, kind
"""
COVERAGE = "SELECT * EXCLUDE (run_id) FROM {coverage_by_area} ORDER BY township, village"
# One point per night (as-of date) and township: the last run published for that night.
COVERAGE_TREND = """
WITH per_run AS (
    SELECT r.as_of, r.finished_at, h.township,
           sum(h.residents_16_plus)::BIGINT AS residents_16_plus,
           sum(h.insured)::BIGINT AS insured,
           sum(h.uninsured_eligible)::BIGINT AS uninsured_eligible
    FROM coverage_by_area_history h JOIN runs r USING (run_id)
    WHERE r.status IN ('published', 'backfilled') AND r.as_of <= ?
    GROUP BY ALL
)
SELECT as_of, township, residents_16_plus, insured, uninsured_eligible,
       round(insured / residents_16_plus, 4) AS coverage_rate
FROM per_run
QUALIFY row_number() OVER (PARTITION BY as_of, township ORDER BY finished_at DESC) = 1
ORDER BY as_of, township
"""
DISAGREEMENTS = """
SELECT * EXCLUDE (run_id) FROM {agency_disagreements}
ORDER BY township, village, name, kind
"""
HAS_DISAGREEMENTS = (
    "SELECT count(*) AS n FROM duckdb_tables() WHERE table_name = 'agency_disagreements'"
)
DISAGREEMENT_SCHEMA = {**DISAGREEMENT_COLUMNS, "first_seen_run": pl.String}
QUALITY = """
SELECT agency, title, source, stale, note, rows_read, rows_rejected,
       ids_valid, ids_repaired, ids_invalid, ids_mangled, ids_empty,
       rows_linked, rows_unlinked, expectations, expectations_failed
FROM {source_quality} ORDER BY agency, source
"""
# The tables the queries above read: live, or one run's rows of their history.
_TABLES = (
    "deaths_to_deregister",
    "uninsured_eligible",
    "duplicate_funeral_benefits",
    "coverage_by_area",
    "source_quality",
)


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
    disagreements: pl.DataFrame = field(
        default_factory=lambda: pl.DataFrame(schema=DISAGREEMENT_SCHEMA)
    )

    @property
    def townships(self) -> list[str]:
        """Every township named in tonight's coverage or findings, in a stable order."""
        names = pl.concat(
            [
                f.select("township")
                for f in (
                    self.coverage,
                    self.deaths,
                    self.uninsured,
                    self.funeral,
                    self.disagreements,
                )
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
            disagreements=self.disagreements.filter(keep),
        )


class NothingPublished(LookupError):
    """The database holds no published night yet."""


def load_report_data(warehouse: Warehouse, run_id: str | None = None) -> ReportData:
    """Read the latest published night's findings for the reports — or, with `run_id`,
    that run's night (a back-filled night is read from the history tables); the
    coverage trend ends at the night reported."""
    latest = warehouse.frame(LATEST_RUN)
    if latest.is_empty():
        raise NothingPublished("no published night in the database yet; run `pensionlink run`")
    if run_id is not None and run_id != latest["run_id"][0]:
        chosen = warehouse.frame(ONE_RUN, [run_id])
        if chosen.is_empty():
            raise NothingPublished(f"run {run_id} published no night")
        run = chosen.row(0, named=True)
        # the night's own rows of each history table, in place of the live table
        tables = {t: f"(SELECT * FROM {t}_history WHERE run_id = ?)" for t in _TABLES}
        params = [run_id]
    else:
        run = latest.row(0, named=True)
        tables, params = {t: t for t in _TABLES}, []
    masked = mask_citizen_id(pl.col("citizen_id")).alias("citizen_id")

    def read(query: str) -> pl.DataFrame:
        return warehouse.frame(query.format(**tables), params)

    return ReportData(
        run_id=run["run_id"],
        as_of=run["as_of"],
        finished_at=run["finished_at"],
        deaths=read(DEATHS).with_columns(masked),
        uninsured=read(UNINSURED).with_columns(masked),
        funeral=read(FUNERAL).with_columns(masked),
        coverage=read(COVERAGE),
        coverage_trend=warehouse.frame(COVERAGE_TREND, [run["as_of"]]),
        quality=read(QUALITY),
        disagreements=_disagreements(warehouse, params[0] if params else None).with_columns(masked),
    )


def _disagreements(warehouse: Warehouse, run_id: str | None) -> pl.DataFrame:
    """The night's agency disagreements — the live table, or one run's rows of its
    history (none in a database from before the table)."""
    if not warehouse.frame(HAS_DISAGREEMENTS)["n"][0]:
        return pl.DataFrame(schema=DISAGREEMENT_SCHEMA)
    if run_id is None:
        query, params = DISAGREEMENTS.format(agency_disagreements="agency_disagreements"), []
    else:
        history = "(SELECT * FROM agency_disagreements_history WHERE run_id = ?)"
        query, params = DISAGREEMENTS.format(agency_disagreements=history), [run_id]
    return warehouse.frame(query, params).cast(DISAGREEMENT_SCHEMA)
