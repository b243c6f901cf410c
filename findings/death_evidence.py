"""Death evidence (死亡信息): who some agency reports dead, on what date, how surely.

Four agencies can report a death: 公安局 (hukou 人员状态 死亡), 卫健局 (死亡医学证明),
民政局 (火化记录) and 医保局 (终止参保, 终止原因 死亡); and 社保局 itself, when it
terminated the roster record with 变更原因 死亡 (status_changes): that death has no date,
only the latest it can be (`died_by`, the change date). Each report becomes one row; a
person's reports are then summarised into the evidence the rules need: which sources
agree, the date to use (certificate, else hukou, else funeral, else medical insurance),
how far apart the reported dates are, and the last health visit — a visit after the
reported death is evidence of life (人社厅发〔2018〕107号).
"""

from __future__ import annotations

import polars as pl

from pensionlink.vocabulary import TERMINATED

__all__ = [
    "DEATH_SOURCES",
    "EVIDENCE_SOURCES",
    "ROSTER_TERMINATION",
    "UNCERTAIN_METHODS",
    "death_evidence",
    "death_reports",
    "roster_terminations",
    "summarise_evidence",
]

# Links made on name and birth date rather than the ID (a reviewer's link is certain).
UNCERTAIN_METHODS = ("attributes", "probabilistic")
# In order of precedence for the date of death (RULES.md §1).
DEATH_SOURCES = ("death_certificates", "hukou", "funeral", "medical_enrollment")
# 社保局's own termination for death: no date of its own, and it never puts a person on
# deaths_to_deregister (the roster record is terminated already).
ROSTER_TERMINATION = "status_changes"
EVIDENCE_SOURCES = (*DEATH_SOURCES, ROSTER_TERMINATION)
DEATH_REASON = "死亡"

_REPORT_SCHEMA = {
    "person_id": pl.String,
    "source": pl.String,
    "death_date": pl.Date,
    "died_by": pl.Date,
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
        died_by=pl.lit(None, pl.Date),
        link_method="link_method",
        name="name",
    )


def roster_terminations(linked: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """社保局's own death reports: roster records terminated with 变更原因 死亡, resolved to
    the roster's linked person; `died_by` is the change date, `death_date` unknown."""
    changes = linked.get("status_changes")
    roster = linked.get("resident_roster")
    if changes is None or roster is None or changes.is_empty():
        return pl.DataFrame(schema=_REPORT_SCHEMA)
    people = (
        roster.lazy()  # the four columns only: not the whole roster copied
        .filter(pl.col("pension_no").is_not_null() & pl.col("person_id").is_not_null())
        .unique("pension_no", keep="first")
        .select("pension_no", "person_id", "link_method", "name")
        .collect()
    )
    return (
        changes.filter(
            (pl.col("status_after") == TERMINATED)
            & (pl.col("reason").str.strip_chars() == DEATH_REASON)
        )
        .join(people, on="pension_no", how="inner")
        .select(
            "person_id",
            source=pl.lit(ROSTER_TERMINATION),
            death_date=pl.lit(None, pl.Date),
            died_by="changed_date",
            link_method="link_method",
            name="name",
        )
        .cast(_REPORT_SCHEMA)
    )


def death_reports(linked: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """Every linked death report of the night: person_id, source, death_date, died_by
    (the latest the death can be, for the roster's own termination), link_method, name."""
    return pl.concat(
        [*(_reports_of(s, linked.get(s)) for s in DEATH_SOURCES), roster_terminations(linked)],
        how="vertical_relaxed",
    ).cast(_REPORT_SCHEMA)


def death_evidence(linked: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """The night's death evidence per person (see `summarise_evidence`); the rules that
    need it share one computation through `findings.night`."""
    return summarise_evidence(death_reports(linked), linked["visits"])


def summarise_evidence(reports: pl.DataFrame, visits: pl.DataFrame) -> pl.DataFrame:
    """One row per reported-dead person.

    Columns: person_id, evidence (source names in precedence order), death_date (the
    first source's in that order; its earliest when it reports twice), died_by (the
    roster's termination for death: the latest the death can be),
    date_spread_days (latest minus earliest reported date), id_evidence (the sources
    whose report is linked on the citizen ID, not on name and birth date), report_names,
    reports (each report: source, death_date, died_by, link_method), last_visit (latest
    linked health visit, any date), last_id_visit (the latest linked on the citizen ID).
    """
    rank = {s: i for i, s in enumerate(EVIDENCE_SOURCES)}
    ordered = reports.with_columns(
        _rank=pl.col("source").replace_strict(rank, return_dtype=pl.Int8)
    ).sort("person_id", "_rank", "death_date", "died_by", nulls_last=True, maintain_order=True)
    summary = ordered.group_by("person_id", maintain_order=True).agg(
        evidence=pl.col("source").unique(maintain_order=True),
        death_date=pl.col("death_date").drop_nulls().first(),
        died_by=pl.col("died_by").min(),
        date_spread_days=(pl.col("death_date").max() - pl.col("death_date").min()).dt.total_days(),
        id_evidence=pl.col("source")
        .filter(~pl.col("link_method").is_in(UNCERTAIN_METHODS))
        .unique(maintain_order=True),
        report_names=pl.col("name").drop_nulls().unique().sort(),
        reports=pl.struct("source", "death_date", "died_by", "link_method"),
    )
    on_id = ~pl.col("link_method").is_in(UNCERTAIN_METHODS).fill_null(False)
    last_visit = (
        visits.lazy()  # three columns of the million visits, not all of them copied
        .filter(pl.col("person_id").is_not_null())
        .group_by("person_id")
        .agg(
            last_visit=pl.col("visit_date").max(),
            last_id_visit=pl.col("visit_date").filter(on_id).max(),
        )
        .collect()
    )
    return summary.join(last_visit, on="person_id", how="left")
