"""What the reports show, read from the warehouse in one go (报表数据).

The queries are named builders in `pensionlink.warehouse.queries`, run by the warehouse;
citizen IDs are masked right after reading, so no report writer ever
holds a whole ID.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

import polars as pl

from pensionlink.connectors.citizen_id import mask_citizen_id
from pensionlink.findings.coverage import coverage_rate
from pensionlink.reports.case_data import (
    CLAIM_DEATH_COLUMNS,
    EVENT_COLUMNS,
    read_case_events,
    read_cases,
    read_claim_deaths,
    read_run_dates,
)
from pensionlink.warehouse.queries import (
    coverage_trend,
    has_table,
    latest_published_run,
    published_run,
    report_rows,
)
from pensionlink.warehouse.store import Warehouse
from pensionlink.warehouse.tables import table_schema

__all__ = ["NothingPublished", "ReportData", "load_report_data"]


def disagreement_schema() -> dict[str, pl.DataType]:
    """`agency_disagreements` as the reports read it: sql/agency_disagreements.sql's
    columns without `run_id`."""
    return {c: t for c, t in table_schema("agency_disagreements").items() if c != "run_id"}


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
        default_factory=lambda: pl.DataFrame(schema=disagreement_schema())
    )
    #: the night's cases (`case_data.read_cases`); None: a database without cases
    cases: pl.DataFrame | None = None
    #: run_id → as_of of every run, for the cases' flow per night
    run_dates: pl.DataFrame = field(
        default_factory=lambda: pl.DataFrame(schema={"run_id": pl.String, "as_of": pl.Date})
    )
    #: the events of the subsidy claims and advances (their forms and ledgers)
    case_events: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=EVENT_COLUMNS))
    #: each subsidy claim's death (date, pension number, status at death)
    claim_deaths: pl.DataFrame = field(
        default_factory=lambda: pl.DataFrame(schema=CLAIM_DEATH_COLUMNS)
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
                    *(
                        []
                        if self.cases is None
                        else [self.cases.filter(pl.col("state") != "closed")]
                    ),
                )
            ]
        )["township"]
        return sorted(names.drop_nulls().unique().to_list())

    def for_township(self, township: str) -> ReportData:
        """The same night, only the rows of one township."""
        keep = pl.col("township") == township
        ids = (
            pl.Series([], dtype=pl.String)
            if self.cases is None
            else self.cases.filter(keep)["case_id"]
        )
        return replace(
            self,
            deaths=self.deaths.filter(keep),
            uninsured=self.uninsured.filter(keep),
            funeral=self.funeral.filter(keep),
            coverage=self.coverage.filter(keep),
            coverage_trend=self.coverage_trend.filter(keep),
            disagreements=self.disagreements.filter(keep),
            cases=None if self.cases is None else self.cases.filter(keep),
            case_events=self.case_events.filter(pl.col("case_id").is_in(ids.implode())),
            claim_deaths=self.claim_deaths.filter(pl.col("case_id").is_in(ids.implode())),
        )


class NothingPublished(LookupError):
    """The database holds no published night yet."""


def load_report_data(warehouse: Warehouse, run_id: str | None = None) -> ReportData:
    """Read the latest published night's findings for the reports — or, with `run_id`,
    that run's night (a back-filled night is read from the history tables); the
    coverage trend ends at the night reported."""
    latest = warehouse.frame(latest_published_run())
    if latest.is_empty():
        raise NothingPublished("no published night in the database yet; run `pensionlink run`")
    if run_id is not None and run_id != latest["run_id"][0]:
        chosen = warehouse.frame(published_run(run_id))
        if chosen.is_empty():
            raise NothingPublished(f"run {run_id} published no night")
        run = chosen.row(0, named=True)
        night = run_id  # the night's own rows of each history table, not the live table
    else:
        run = latest.row(0, named=True)
        night = None
    masked = mask_citizen_id(pl.col("citizen_id")).alias("citizen_id")

    def read(table: str) -> pl.DataFrame:
        return warehouse.frame(report_rows(table, night))

    return ReportData(
        run_id=run["run_id"],
        as_of=run["as_of"],
        finished_at=run["finished_at"],
        deaths=read("deaths_to_deregister").with_columns(masked),
        uninsured=read("uninsured_eligible").with_columns(masked),
        funeral=read("duplicate_funeral_benefits").with_columns(masked),
        coverage=read("coverage_by_area"),
        coverage_trend=warehouse.frame(coverage_trend(run["as_of"])).with_columns(
            coverage_rate=coverage_rate()
        ),
        quality=read("source_quality"),
        disagreements=_disagreements(warehouse, night).with_columns(masked),
        cases=read_cases(warehouse, night),
        run_dates=read_run_dates(warehouse),
        case_events=read_case_events(warehouse),
        claim_deaths=read_claim_deaths(warehouse),
    )


def _disagreements(warehouse: Warehouse, run_id: str | None) -> pl.DataFrame:
    """The night's agency disagreements — the live table, or one run's rows of its
    history (none in a database from before the table)."""
    if not warehouse.frame(has_table("agency_disagreements"))["n"][0]:
        return pl.DataFrame(schema=disagreement_schema())
    return warehouse.frame(report_rows("agency_disagreements", run_id)).cast(disagreement_schema())
