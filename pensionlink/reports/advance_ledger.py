"""The contribution advance in the reports (垫付台账): the township's ledger rows and the
city's advance fund. Pure.

Each advance case (IDs masked) with its events: applied on (the opening), paid on
(`balance_since`, the day the advance reached the person's account), the advance, what
monthly withholding and early repayment brought back, the balance, months repaid, left
and flagged (a month paid in full while owing, or withheld after repayment: the amount to
refund). The fund: paid out (advances paid), repaid, outstanding — and, when the advance
rule has ended (垫付政策不在执行期, annex 3: provisional to 2021-12-31), why tonight's
back-payers have none.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import polars as pl

from pensionlink.reports.document_text import yuan
from pensionlink.reports.labels import CASE_STATE, CLOSE_REASON
from pensionlink.vocabulary import MONEY

__all__ = ["ADVANCE_ROW_SCHEMA", "advance_fund", "advance_rows", "ended_note"]

ZERO = Decimal("0.00")
ADVANCE_ROW_SCHEMA: dict[str, pl.DataType] = {
    "village": pl.String,
    "case_id": pl.String,
    "name": pl.String,
    "citizen_id": pl.String,
    "state_text": pl.String,
    "applied_on": pl.Date,
    "paid_on": pl.Date,
    "amount_due": MONEY,
    "withheld": MONEY,
    "repaid_early": MONEY,
    "balance": MONEY,
    "months_repaid": pl.Int32,
    "months_left": pl.Int32,
    "months_flagged": pl.Int32,
    "flagged_months": pl.String,
    "to_refund": MONEY,
}


def _sum_of(events: pl.DataFrame, action: str, name: str) -> pl.DataFrame:
    return (
        events.filter(pl.col("action") == action)
        .group_by("case_id")
        .agg(pl.col("amount").sum().cast(MONEY).alias(name))
    )


def advance_rows(cases: pl.DataFrame, events: pl.DataFrame) -> pl.DataFrame:
    """The 垫付台账 sheet's rows: every advance case, by village and case."""
    advances = cases.filter(pl.col("kind") == "advance")
    opened = (
        events.filter(pl.col("action") == "opened")
        .group_by("case_id")
        .agg(applied_on=pl.col("at").min().dt.date())
    )
    state = pl.col("state").replace_strict(CASE_STATE, default=pl.col("state"))
    closed = pl.col("close_reason").replace_strict(CLOSE_REASON, default=pl.col("close_reason"))
    zero = pl.lit(ZERO, MONEY)
    out = (
        advances.join(opened, on="case_id", how="left")
        .join(_sum_of(events, "month_withheld", "withheld"), on="case_id", how="left")
        .join(_sum_of(events, "repay", "repaid_early"), on="case_id", how="left")
        .join(_sum_of(events, "withheld_after_repaid", "to_refund"), on="case_id", how="left")
        .with_columns(
            state_text=pl.when(pl.col("state") == "closed").then(closed).otherwise(state),
            paid_on=pl.col("balance_since"),
            withheld=pl.col("withheld").fill_null(zero),
            repaid_early=pl.col("repaid_early").fill_null(zero),
            to_refund=pl.col("to_refund").fill_null(zero),
            months_repaid=pl.col("months_repaid").fill_null(0),
            months_flagged=pl.col("months_flagged").fill_null(0),
        )
    )
    return (
        out.select(list(ADVANCE_ROW_SCHEMA))
        .cast(ADVANCE_ROW_SCHEMA)
        .sort("village", "case_id", nulls_last=True)
    )


def _total(frame: pl.DataFrame, column: str) -> Decimal:
    value = frame[column].drop_nulls().sum() if frame.height else None
    return ZERO if value is None else Decimal(value).quantize(ZERO)


def ended_note(uninsured: pl.DataFrame, ended_on: dt.date | None) -> str | None:
    """Why tonight's back-payers have no advance when the rule has ended (`ended_on`: its
    `until`; None while in force: no note)."""
    if ended_on is None:
        return None
    back = (
        uninsured.filter(pl.col("category") == "back_payment")
        if "category" in uninsured.columns
        else uninsured.clear()
    )
    return (
        f"缴费资金垫付政策（附件3）暂定执行至 {ended_on:%Y年%m月%d日}（政策参数 advance_cap），"
        f"本批不在执行期：{back.height} 名补缴人员无垫付金额（垫付政策不在执行期），"
        f"垫付资金为 0；新的年度政策出台后，在政策文件中增加其执行期即可恢复。"
    )


def advance_fund(cases: pl.DataFrame, events: pl.DataFrame) -> dict[str, Any]:
    """The city's advance fund: advances paid out, repaid (withheld and early), still
    outstanding, flagged months and the amount to refund, by township, and how many
    applications wait for approval or payment."""
    rows = advance_rows(cases, events).join(
        cases.select("case_id", "township", "state"), on="case_id", how="left"
    )
    paid = rows.filter(pl.col("paid_on").is_not_null())

    def figures(frame: pl.DataFrame, township: str) -> dict[str, Any]:
        out_now = frame.filter(pl.col("state") != "closed")
        repaid = _total(frame, "withheld") + _total(frame, "repaid_early")
        return {
            "township": township,
            "cases": frame.height,
            "paid_out": yuan(_total(frame, "amount_due")),
            "repaid": yuan(repaid),
            "outstanding": yuan(_total(out_now, "balance")),
            "flagged": int(frame["months_flagged"].sum()) if frame.height else 0,
            "to_refund": yuan(_total(frame, "to_refund")),
        }

    townships = sorted(t for t in set(paid["township"].to_list()) if t is not None)
    return {
        "applied": rows.filter(pl.col("paid_on").is_null() & (pl.col("state") != "closed")).height,
        "rows": [figures(paid.filter(pl.col("township") == t), t) for t in townships],
        "total": figures(paid, "合计"),
    }
