"""Registered residents aged 16+ and whether they are insured (户籍人口参保情况).

The base population of both the uninsured report and coverage: people on the city's
hukou with 人员状态 正常, alive (no death report from any source — 社保局's own roster
termination for death included — or one contradicted by a later health visit), aged
`enrollment_min_age` or more on the as-of date. A person is insured when on the
residents' roster with 参保缴费/待遇领取/暂停 or on the employee roster (在职/退休);
roster rows count by the linked person and by the normalised ID, so a roster row whose
name was typed differently still counts as insurance rather than a false 应保未保.
"""

from __future__ import annotations

import datetime as dt

import polars as pl
from pensionlink.findings.death_evidence import death_evidence
from pensionlink.findings.withheld import insurance_unknown

from pensionlink.vocabulary import ACTIVE_STATUSES

__all__ = ["age_on", "insured_people", "reported_dead", "residents_16_plus"]


def age_on(birth: pl.Expr, day: dt.date) -> pl.Expr:
    """Age in completed years on `day` (周岁)."""
    had_birthday = (birth.dt.month() < day.month) | (
        (birth.dt.month() == day.month) & (birth.dt.day() <= day.day)
    )
    return (pl.lit(day.year) - birth.dt.year() - pl.when(had_birthday).then(0).otherwise(1)).cast(
        pl.Int32
    )


def reported_dead(evidence: pl.DataFrame) -> pl.Series:
    """Person IDs with a death report (`death_evidence`, the roster's own termination for
    death included) that no later health visit contradicts; a death known only by its
    latest date (`died_by`) is contradicted by a visit after that date."""
    death = pl.coalesce("death_date", "died_by")
    contradicted = (pl.col("last_visit") > death).fill_null(False)
    return evidence.filter(~contradicted)["person_id"]


def insured_people(linked: dict[str, pl.DataFrame]) -> pl.Series:
    """Person IDs (and normalised IDs) on either pension roster."""
    resident = (
        linked["resident_roster"]
        .select("person_id", "citizen_id", "status")
        .filter(pl.col("status").is_in(ACTIVE_STATUSES))
    )
    employee = linked["employee_roster"]
    ids = pl.concat(
        [
            frame.select(pl.col(c).alias("id"))
            for frame in (resident, employee)
            for c in ("person_id", "citizen_id")
        ]
    )
    return ids["id"].drop_nulls().unique()


def residents_16_plus(
    linked: dict[str, pl.DataFrame],
    as_of: dt.date,
    min_age: int,
    evidence: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """One row per resident aged `min_age`+: person_id, name, township, village, age, insured.

    A person not insured by any roster row read tonight but with a roster row rejected
    (`findings.withheld`) is left out: not counted either way."""
    dead = reported_dead(death_evidence(linked) if evidence is None else evidence)
    insured = insured_people(linked)
    unknown = insurance_unknown(linked)
    hukou = linked["hukou"]
    return (
        hukou.lazy()  # the columns used only: not the whole hukou copied
        .filter(
            (pl.col("hukou_status") == "正常")
            & pl.col("person_id").is_not_null()
            & ~pl.col("person_id").is_in(dead.implode())
        )
        .unique("person_id", keep="first", maintain_order=True)
        .with_columns(age=age_on(pl.coalesce("birth_date", "id_birth_date"), as_of))
        .filter(pl.col("age") >= min_age)
        .select(
            "person_id",
            "name",
            "township",
            "village",
            "age",
            insured=pl.col("person_id").is_in(insured.implode()),
        )
        .filter(pl.col("insured") | ~pl.col("person_id").is_in(unknown.implode()))
        .collect()
    )
