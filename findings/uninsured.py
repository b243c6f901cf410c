"""Uninsured eligible residents (应保未保人员) and their category.

Category, first that applies (RULES.md §2): `government_paid` for 低保/特困供养
recipients, 重度残疾 (grades in the policy) and the poverty registry (脱贫户/监测户) —
the government pays their lowest grade; `back_payment` from benefit age, with the city's
advance `min(required_years × min_annual_contribution, advance_cap)`, repaid by withholding
the whole estimated monthly pension (基础养老金 + 个人账户 ÷ 139) for `repay_months`;
else `standard`. Outside the advance rule's period (policy `advance_cap` with an `until`
that has passed) a back-payer has no advance and no repay months, and `advance_note` says
垫付政策不在执行期. Each row says why the person counts as not insured (未参保依据): on
neither roster, or a residents' roster record 终止 with its date and reason.
"""

from __future__ import annotations

import datetime as dt

import polars as pl
from pensionlink.findings.residents import residents_16_plus

from pensionlink.settings import ADVANCE_NOT_IN_FORCE, Policy
from pensionlink.vocabulary import MONEY, TERMINATED

__all__ = ["not_insured_evidence", "special_groups", "uninsured_eligible"]

#: The order the rows are kept in (nulls first); `findings.partitioned` sorts the parts' rows by it.
ORDER = ("township", "village", "citizen_id")

NOT_ON_ROSTERS = "不在城乡居保、职工养老保险参保名册"

COLUMNS = (
    "citizen_id",
    "name",
    "township",
    "village",
    "age",
    "category",
    "special_groups",
    "advance_amount",
    "monthly_pension_estimate",
    "repay_months",
    "advance_note",
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


def not_insured_evidence(linked: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """person_id → why a resident off the active rosters is not insured: a residents'
    roster record 终止 (with the date and reason of the last change to 终止), else absent."""
    changes = (
        linked["status_changes"]
        .filter(pl.col("status_after") == TERMINATED)
        .sort("changed_date", nulls_last=False)
        .group_by("pension_no")
        .agg(pl.col("changed_date").last(), pl.col("reason").last())
    )
    terminated = (
        linked["resident_roster"]
        .filter(pl.col("person_id").is_not_null() & (pl.col("status") == TERMINATED))
        .join(changes, on="pension_no", how="left")
        .with_columns(
            text=pl.concat_str(
                pl.lit("城乡居保参保记录已终止（"),
                pl.col("changed_date").dt.strftime("%Y-%m-%d").fill_null("终止日期未报送"),
                pl.lit("，原因："),
                pl.col("reason").fill_null("未报送"),
                pl.lit("），且不在职工养老保险参保名册"),
            )
        )
    )
    return terminated.group_by("person_id").agg(
        evidence=pl.col("text").unique().sort().str.join("；")
    )


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
    uninsured = (
        residents.filter(~pl.col("insured"))
        .join(groups, on="person_id", how="left")
        .join(not_insured_evidence(linked), on="person_id", how="left")
    )
    has_group = pl.col("special_groups").list.len().fill_null(0) > 0
    category = (
        pl.when(has_group)
        .then(pl.lit("government_paid"))
        .when(pl.col("age") >= policy.benefit_age)
        .then(pl.lit("back_payment"))
        .otherwise(pl.lit("standard"))
    )
    back_payment = pl.col("category") == "back_payment"
    advance_note = None if policy.advance_amount is not None else ADVANCE_NOT_IN_FORCE
    return (
        uninsured.with_columns(
            category=category,
            special_groups=pl.col("special_groups").fill_null(pl.lit([], pl.List(pl.String))),
        )
        .with_columns(
            advance_amount=pl.when(back_payment).then(pl.lit(policy.advance_amount, MONEY)),
            monthly_pension_estimate=pl.when(back_payment).then(
                pl.lit(policy.monthly_pension_estimate, MONEY)
            ),
            repay_months=pl.when(back_payment).then(pl.lit(policy.repay_months, pl.Int32)),
            advance_note=pl.when(back_payment).then(pl.lit(advance_note, pl.String)),
            evidence=pl.col("evidence").fill_null(NOT_ON_ROSTERS),
            citizen_id="person_id",
        )
        .select(COLUMNS)
        .sort(ORDER)
    )
