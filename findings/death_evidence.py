"""Death evidence (死亡信息): who some agency reports dead, on what date, how surely.

Four agencies can report a death: 公安局 (hukou 人员状态 死亡), 卫健局 (死亡医学证明),
民政局 (火化记录) and 医保局 (终止参保, 终止原因 死亡). Each report becomes one row; a
person's reports are then summarised into the evidence the deregistration rule needs:
which sources agree, the date to use (certificate, else hukou, else funeral, else
medical insurance), how far apart the reported dates are, and the last health visit —
a visit after the reported death is evidence of life (人社厅发〔2018〕107号).
"""

from __future__ import annotations

import polars as pl

__all__ = [
    "DEATH_SOURCES",
    "UNCERTAIN_METHODS",
    "death_evidence",
    "death_reports",
    "summarise_evidence",
]

# Links made on name and birth date rather than the ID (a reviewer's link is certain).
UNCERTAIN_METHODS = ("attributes", "probabilistic")
# In order of precedence for the date of death (RULES.md §1).
DEATH_SOURCES = ("death_certificates", "hukou", "funeral", "medical_enrollment")

_REPORT_SCHEMA = {
    "person_id": pl.String,
    "source": pl.String,
    "death_date": pl.Date,
    "link_method": pl.String,
    "name": pl.String,
}


def _reports_of(source: str, frame: pl.DataFrame | None) -> pl.DataFrame:
    if frame is None or frame.is_empty():
        return pl.DataFrame(schema=_REPORT_SCHEMA)
    if source == "hukou":
        frame = frame.filter(pl.col("hukou_status") == "死亡")
        date = pl.col("death_date")
    elif source == "medical_enrollment":
        frame = frame.filter(pl.col("end_reason").str.strip_chars() == "死亡")
        date = pl.col("end_date")
    else:
        date = pl.col("death_date")
    return frame.filter(pl.col("person_id").is_not_null()).select(
        "person_id",
        source=pl.lit(source),
        death_date=date,
        link_method="link_method",
        name="name",
    )


def death_reports(linked: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """Every linked death report of the night: person_id, source, death_date, link_method, name."""
    return pl.concat(
        [_reports_of(s, linked.get(s)) for s in DEATH_SOURCES], how="vertical_relaxed"
    ).cast(_REPORT_SCHEMA)


def death_evidence(linked: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """The night's death evidence per person (see `summarise_evidence`); the rules that
    need it share one computation through `findings.night`."""
    return summarise_evidence(death_reports(linked), linked["visits"])


def summarise_evidence(reports: pl.DataFrame, visits: pl.DataFrame) -> pl.DataFrame:
    """One row per reported-dead person.

    Columns: person_id, evidence (source names in precedence order), death_date,
    date_spread_days (latest minus earliest reported date), id_evidence (the sources
    whose report is linked on the citizen ID, not on name and birth date), report_names,
    last_visit (latest linked health visit, any date).
    """
    rank = {s: i for i, s in enumerate(DEATH_SOURCES)}
    ordered = reports.with_columns(
        _rank=pl.col("source").replace_strict(rank, return_dtype=pl.Int8)
    ).sort("person_id", "_rank")
    summary = ordered.group_by("person_id", maintain_order=True).agg(
        evidence=pl.col("source").unique(maintain_order=True),
        death_date=pl.col("death_date").drop_nulls().first(),
        date_spread_days=(pl.col("death_date").max() - pl.col("death_date").min()).dt.total_days(),
        id_evidence=pl.col("source")
        .filter(~pl.col("link_method").is_in(UNCERTAIN_METHODS))
        .unique(maintain_order=True),
        report_names=pl.col("name").drop_nulls().unique(),
    )
    last_visit = (
        visits.filter(pl.col("person_id").is_not_null())
        .group_by("person_id")
        .agg(last_visit=pl.col("visit_date").max())
    )
    return summary.join(last_visit, on="person_id", how="left")
