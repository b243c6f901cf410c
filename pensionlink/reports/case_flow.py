"""The cases' flow for the daily summary (案件办理进度): aggregates only. Pure.

Opened and closed per night (from the cases' `opened_run` / `closed_run` and the runs'
as-of dates, so a case closed three nights after it opened counts on both nights), the
backlog (open cases) by township and kind, the recovery cases' money: recovered
against what is still outstanding, the funeral subsidy claims by step (丧葬补助金申领) and the
advance fund (`advance_ledger.advance_fund`). No section when there are no cases.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import polars as pl

from pensionlink.cases.subsidy import CHAIN
from pensionlink.reports.document_text import yuan
from pensionlink.reports.labels import CASE_KIND, CASE_STATE, CLOSE_REASON

__all__ = ["FLOW_NIGHTS", "claims_by_step", "flow_section"]

FLOW_NIGHTS = 14  # nights shown in the opened / closed table
KINDS = ("death", "recovery", "uninsured")
ZERO = Decimal("0.00")
UNKNOWN_TOWNSHIP = "乡镇不详"


def _sum(frame: pl.DataFrame, column: str) -> Decimal:
    total = frame[column].drop_nulls().sum() if frame.height else None
    return ZERO if total is None else Decimal(total).quantize(ZERO)


def flow_section(cases: pl.DataFrame | None, run_dates: pl.DataFrame) -> dict[str, Any] | None:
    """The section's prepared numbers, or None when the database has no cases."""
    if cases is None or cases.is_empty():
        return None
    cases = cases.with_columns(pl.col("township").fill_null(UNKNOWN_TOWNSHIP))
    open_cases = cases.filter(pl.col("state") != "closed")
    return {
        "nights": _nights(cases, run_dates),
        "backlog": _backlog(open_cases),
        "recovery": _recovery(cases),
        "claims": claims_by_step(cases),
        "open_total": open_cases.height,
        "new_tonight": int(open_cases["new_tonight"].fill_null(False).sum()),
    }


def claims_by_step(cases: pl.DataFrame) -> list[dict[str, Any]]:
    """Funeral subsidy claims per step of the chain (待申领 … 已发放待归档), then closed per
    reason (已发放归档, 不予发放, 依据消失), with the money of each; [] without claims."""
    claims = cases.filter(pl.col("kind") == "subsidy")
    if claims.is_empty():
        return []
    states = [start for start, _ in CHAIN.values()]  # to_apply … paid
    step = pl.when(pl.col("state") == "closed").then(
        pl.concat_str(pl.lit("closed:"), pl.col("close_reason").fill_null(""))
    )
    counted = claims.with_columns(step=step.otherwise(pl.col("state")))
    rows = []
    closed = sorted(s for s in set(counted["step"]) if s.startswith("closed:"))
    for key in [*states, *closed]:
        mine = counted.filter(pl.col("step") == key)
        if key in states or mine.height:
            reason = key.removeprefix("closed:")
            label = CASE_STATE.get(key) or f"已办结：{CLOSE_REASON.get(reason, reason)}"
            rows.append(
                {"step": label, "count": mine.height, "amount": yuan(_sum(mine, "amount_due"))}
            )
    rows.append(
        {"step": "合计", "count": claims.height, "amount": yuan(_sum(claims, "amount_due"))}
    )
    return rows


def _nights(cases: pl.DataFrame, run_dates: pl.DataFrame) -> list[dict[str, Any]]:
    """Opened / closed per night, the latest FLOW_NIGHTS nights, with the backlog after
    each night and bar widths (percent of the busiest night)."""
    dates = run_dates.select("run_id", "as_of").unique("run_id")

    def per_night(column: str, name: str) -> pl.DataFrame:
        return (
            cases.filter(pl.col(column).is_not_null())
            .join(dates, left_on=column, right_on="run_id", how="inner")
            .group_by("as_of")
            .agg(pl.len().alias(name))
        )

    opened, closed = per_night("opened_run", "opened"), per_night("closed_run", "closed")
    nights = (
        opened.join(closed, on="as_of", how="full", coalesce=True)
        .with_columns(pl.col("opened", "closed").fill_null(0))
        .sort("as_of")
        .with_columns(backlog=(pl.col("opened") - pl.col("closed")).cum_sum())
        .tail(FLOW_NIGHTS)
    )
    busiest = max([*nights["opened"].to_list(), *nights["closed"].to_list(), 1])
    return [
        {
            "as_of": f"{r['as_of']:%Y-%m-%d}",
            "opened": r["opened"],
            "closed": r["closed"],
            "backlog": r["backlog"],
            "opened_width": round(100 * r["opened"] / busiest, 1),
            "closed_width": round(100 * r["closed"] / busiest, 1),
        }
        for r in nights.iter_rows(named=True)
    ]


def _backlog(open_cases: pl.DataFrame) -> dict[str, Any]:
    """Open cases by township (rows) and kind (columns), with totals."""
    kinds = [k for k in KINDS if k in set(open_cases["kind"])] or list(KINDS)
    kinds += sorted(set(open_cases["kind"]) - set(kinds))
    counts = open_cases.group_by("township", "kind").agg(pl.len().alias("n"))
    rows = []
    for township in sorted(set(open_cases["township"])):
        mine = dict(counts.filter(pl.col("township") == township).select("kind", "n").iter_rows())
        cells = [mine.get(k, 0) for k in kinds]
        rows.append({"township": township, "counts": cells, "total": sum(cells)})
    totals = [sum(r["counts"][i] for r in rows) for i in range(len(kinds))]
    return {
        "labels": [CASE_KIND.get(k, k) for k in kinds],
        "rows": rows,
        "totals": totals,
        "total": sum(totals),
    }


def _recovery(cases: pl.DataFrame) -> dict[str, Any] | None:
    """Recovery cases' money by township: due, recovered, outstanding (open cases'
    balance), written off (closed 'written_off' balance); None without recovery cases."""
    recovery = cases.filter(pl.col("kind") == "recovery")
    if recovery.is_empty():
        return None

    def figures(frame: pl.DataFrame, township: str) -> dict[str, Any]:
        due = _sum(frame, "amount_due")
        recovered = _sum(frame, "amount_recovered")
        outstanding = _sum(frame.filter(pl.col("state") != "closed"), "balance")
        written_off = _sum(frame.filter(pl.col("close_reason") == "written_off"), "balance")
        share = float(recovered / due) if due else None
        return {
            "township": township,
            "cases": frame.height,
            "open": frame.filter(pl.col("state") != "closed").height,
            "due": yuan(due),
            "recovered": yuan(recovered),
            "outstanding": yuan(outstanding),
            "written_off": yuan(written_off),
            "share": "—" if share is None else f"{share * 100:.1f}%",
            "share_width": 0 if share is None else round(100 * share, 1),
        }

    rows = [
        figures(recovery.filter(pl.col("township") == t), t)
        for t in sorted(set(recovery["township"]))
    ]
    return {"rows": rows, "total": figures(recovery, "合计")}
