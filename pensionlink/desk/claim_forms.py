"""The subsidy claims' printed forms from the desk (丧葬补助金发放审批表、申领汇总表).

The same forms `pensionlink report` writes each night, but with the steps recorded since:
the claims and their events come from the case store as they are now (a township prints
the 审批表 right after its 复审), each claim's death from the latest published night.
Only the claims in the user's area are printed.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from pensionlink.cases.worklist import warehouse_cases
from pensionlink.desk.accounts import DeskUser
from pensionlink.desk.worklists import in_area
from pensionlink.reports.case_data import EVENT_COLUMNS, as_report_cases
from pensionlink.reports.subsidy_forms import (
    printed_claims,
    render_approval_forms,
    render_claims_summary,
)

__all__ = ["FORMS", "claims_in_area", "render_claim_form"]

#: ?form= → the form's title
FORMS = {"approval": "丧葬补助金发放审批表", "summary": "丧葬补助金申领汇总表"}


def claims_in_area(
    cases: pl.DataFrame,
    events: pl.DataFrame,
    nights: pl.DataFrame,
    people: pl.DataFrame,
    user: DeskUser,
    township: str,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The store's subsidy claims of `township` that `user` covers, as the reports read
    them, and their events."""
    claims = cases.filter(pl.col("kind") == "subsidy")
    ids = claims["case_id"].implode()
    published, log = warehouse_cases(
        claims, events.filter(pl.col("case_id").is_in(ids)), nights, people
    )
    mine = in_area(published.filter(pl.col("township") == township), user)
    kept = log.filter(pl.col("case_id").is_in(mine["case_id"].implode()))
    return as_report_cases(mine), kept.select(list(EVENT_COLUMNS)).cast(EVENT_COLUMNS)


def render_claim_form(
    form: str,
    township: str,
    claims: pl.DataFrame,
    events: pl.DataFrame,
    deaths: pl.DataFrame,
    as_of: dt.date,
    bureau: str,
) -> tuple[str, list[str]]:
    """The form's HTML and the case ids it prints (the 审批表: claims applied for)."""
    if form == "approval":
        printed = printed_claims(claims, summary=False)
        return render_approval_forms(printed, deaths, events, as_of, bureau), _ids(printed)
    printed = printed_claims(claims, summary=True)
    html = render_claims_summary(township, printed, deaths, events, as_of, bureau)
    return html, _ids(printed)


def _ids(frame: pl.DataFrame) -> list[str]:
    return frame["case_id"].sort().to_list()
