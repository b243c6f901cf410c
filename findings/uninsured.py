"""Uninsured eligible residents (应保未保人员) and their category.

Category, first that applies (RULES.md §2): `government_paid` for 低保/特困供养
recipients, 重度残疾 (grades in the policy) and the poverty registry (脱贫户/监测户) —
the government pays their lowest grade; `back_payment` from benefit age, with the city's
advance `min(required_years × min_annual_contribution, advance_cap)`; else `standard`.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from findings.residents import residents_16_plus
from findings.settlement import MONEY
from pensionlink.settings import Policy

__all__ = ["special_groups", "uninsured_eligible"]

COLUMNS = (
    "citizen_id",
    "name",
    "township",
    "village",
    "age",
    "category",
    "special_groups",
    "advance_amount",
    "evidence",
)


def special_groups(
    linked: dict[str, pl.DataFrame], as_of: dt.date, severe_grades: tuple[int, ...]
) -> pl.DataFrame:
    """person_id → list of the special groups (特殊群体) the person belongs to on as_of."""
    assistance = linked["assistance"].filter(
        pl.col("person_id").is_not_null()
        & (pl.col("start_date").is_null() | (pl.col("start_date") <= as_of))
        & (pl.col("end_date").is_null() | (pl.col("end_date") > as_of))
    )
    disabled = linked["disabled"].filter(
        pl.col("person_id").is_not_null() & pl.col("grade").is_in(list(severe_grades))
    )
    poverty = linked["poverty"].filter(pl.col("person_id").is_not_null())
    memberships = pl.concat(
        [
            assistance.select("person_id", group=pl.col("category")),
            disabled.select("person_id", group=pl.lit("重度残疾")),
            poverty.select("person_id", group=pl.col("household_type")),
        ]
    ).drop_nulls()
    return memberships.group_by("person_id").agg(special_groups=pl.col("group").unique().sort())


def uninsured_eligible(
    linked: dict[str, pl.DataFrame],
    as_of: dt.date,
    policy: Policy,
    residents: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """The `uninsured_eligible` rows of one night (without run_id); `residents`
    is `residents_16_plus(...)` when the caller has it already."""
    if residents is None:
        residents = residents_16_plus(linked, as_of, policy.enrollment_min_age)
    groups = special_groups(linked, as_of, policy.severe_disability_grades)
    uninsured = residents.filter(~pl.col("insured")).join(groups, on="person_id", how="left")
    has_group = pl.col("special_groups").list.len().fill_null(0) > 0
    category = (
        pl.when(has_group)
        .then(pl.lit("government_paid"))
        .when(pl.col("age") >= policy.benefit_age)
        .then(pl.lit("back_payment"))
        .otherwise(pl.lit("standard"))
    )
    return (
        uninsured.with_columns(
            category=category,
            special_groups=pl.col("special_groups").fill_null(pl.lit([], pl.List(pl.String))),
        )
        .with_columns(
            advance_amount=pl.when(pl.col("category") == "back_payment").then(
                pl.lit(policy.advance_amount, MONEY)
            ),
            evidence=pl.lit("户籍正常，未见死亡信息，不在居民养老保险或职工养老保险参保名册"),
            citizen_id="person_id",
        )
        .select(COLUMNS)
        .sort("township", "village", "citizen_id")
    )
