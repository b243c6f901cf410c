"""The numbers of the daily summary (日报数据), computed from the night's report data:
the overview, coverage per township and for the city, the trend table, the uninsured by
category and group, deaths and funeral benefits, agency disagreements, each agency's
file quality, and the charts' numbers for re-use. Every value is prepared as the page
shows it; the chart geometry is `summary_charts`, the layout the template.

Coverage rates follow the one rule, `findings.coverage.coverage_rate`.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import polars as pl
from markupsafe import Markup

from pensionlink.findings.coverage import coverage_rate
from pensionlink.reports.data import ReportData
from pensionlink.reports.labels import CATEGORY, DECISION, DISAGREEMENT_KIND, FUNERAL_KIND
from pensionlink.reports.summary_text import (
    DASH,
    count_text,
    money_text,
    percent_text,
    points_text,
)

CITY = "龙井市"
UNKNOWN_TOWNSHIP = "乡镇不详"
SPECIAL_GROUPS = ("城市低保", "农村低保", "特困供养", "重度残疾", "脱贫户", "监测户")
TREND_NIGHTS = 7
LOW_ID_RATE = 0.9  # below this an agency's usable-ID rate is shown in red
ZERO = Decimal("0.00")

__all__ = [
    "CITY",
    "chart_json",
    "city_coverage",
    "city_trend",
    "coverage_rows",
    "deaths_section",
    "disagreements_section",
    "funeral_section",
    "overview",
    "quality_section",
    "township_names",
    "trend_section",
    "uninsured_section",
]


# ---------------------------------------------------------------- helpers


def _ratio(part: int | None, whole: int | None) -> float | None:
    if part is None or not whole:
        return None
    return part / whole


def _dsum(frame: pl.DataFrame, column: str) -> Decimal:
    """A money column's total; zero for an empty frame or all-null column."""
    if frame.is_empty():
        return ZERO
    total = frame[column].drop_nulls().sum()
    return ZERO if total is None else Decimal(total).quantize(ZERO)


def _with_township(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(pl.col("township").fill_null(UNKNOWN_TOWNSHIP))


def township_names(data: ReportData) -> list[str]:
    """Every township once, the unknown area last when some row lacks one."""
    names = list(data.townships)
    frames = (data.coverage, data.deaths, data.uninsured, data.funeral)
    if any(f["township"].null_count() for f in frames if not f.is_empty()):
        names.append(UNKNOWN_TOWNSHIP)
    return names


# ---------------------------------------------------------------- overview


def overview(data: ReportData, city: dict[str, Any]) -> dict[str, Any]:
    """The headline numbers (概况) at the top of the page."""
    deaths = data.deaths
    confirmed = deaths.filter(pl.col("decision") == "confirmed").height
    review = deaths.filter(pl.col("decision") == "review").height
    stale = data.quality.filter(pl.col("stale").fill_null(False))
    failed = data.quality.filter(pl.col("expectations_failed").fill_null(0) > 0)
    return {
        "deaths": count_text(deaths.height),
        "confirmed": count_text(confirmed),
        "review": count_text(review),
        "overpaid": money_text(_dsum(deaths, "overpaid_amount")),
        "to_recover": money_text(_dsum(deaths, "to_recover")),
        "uninsured": count_text(data.uninsured.height),
        "advance": money_text(_dsum(data.uninsured, "advance_amount")),
        "funeral": count_text(data.funeral.height),
        "funeral_recover": money_text(_dsum(data.funeral, "amount_to_recover")),
        "city_rate": city["rate_text"],
        "city_insured": city["insured_text"],
        "city_residents": city["residents_text"],
        "stale_sources": [f"{r['agency']}·{r['title']}" for r in stale.iter_rows(named=True)],
        "failed_sources": [f"{r['agency']}·{r['title']}" for r in failed.iter_rows(named=True)],
    }


# ---------------------------------------------------------------- coverage


def coverage_rows(coverage: pl.DataFrame) -> list[dict[str, Any]]:
    """One row per township (villages summed), highest rate first."""
    if coverage.is_empty():
        return []
    per_township = (
        _with_township(coverage)
        .group_by("township")
        .agg(pl.col("residents_16_plus", "insured", "uninsured_eligible").sum())
        .with_columns(rate=coverage_rate(digits=None), coverage_rate=coverage_rate())
        .to_dicts()
    )
    rows = []
    for r in per_township:
        rate = r["rate"]
        rows.append(
            {
                "township": r["township"],
                "residents_16_plus": int(r["residents_16_plus"]),
                "insured": int(r["insured"]),
                "uninsured_eligible": int(r["uninsured_eligible"]),
                "coverage_rate": r["coverage_rate"],
                "residents_text": count_text(r["residents_16_plus"]),
                "insured_text": count_text(r["insured"]),
                "uninsured_text": count_text(r["uninsured_eligible"]),
                "rate_text": percent_text(rate),
            }
        )
    rows.sort(key=lambda r: (-(r["coverage_rate"] or -1.0), r["township"]))
    return rows


def city_coverage(coverage: pl.DataFrame) -> dict[str, Any]:
    """The city's totals: all townships' insured over all their residents."""
    city = (
        coverage.select(pl.col("residents_16_plus", "insured", "uninsured_eligible").sum())
        .with_columns(rate=coverage_rate(digits=None), coverage_rate=coverage_rate())
        .row(0, named=True)
    )
    return {
        "rate": city["rate"],
        "coverage_rate": city["coverage_rate"],
        "rate_text": percent_text(city["rate"]),
        "residents_text": count_text(int(city["residents_16_plus"] or 0)),
        "insured_text": count_text(int(city["insured"] or 0)),
        "uninsured_text": count_text(int(city["uninsured_eligible"] or 0)),
    }


# ---------------------------------------------------------------- trend


def city_trend(trend: pl.DataFrame) -> list[dict[str, Any]]:
    """City-wide rate per night: all townships' insured over all their residents."""
    if trend.is_empty():
        return []
    nights = (
        trend.group_by("as_of")
        .agg(pl.col("residents_16_plus", "insured").sum())
        .with_columns(coverage_rate=coverage_rate())
        .sort("as_of")
        .drop_nulls("coverage_rate")
    )
    return nights.select("as_of", "coverage_rate").to_dicts()


def trend_section(trend: pl.DataFrame, city: list[dict[str, Any]]) -> dict[str, Any]:
    """The trend table: the city and each township over the last `TREND_NIGHTS` nights,
    with the change since the night before."""
    nights = [p["as_of"] for p in city][-TREND_NIGHTS:]
    city_by_night = {p["as_of"]: p["coverage_rate"] for p in city}
    per_township: dict[str, dict[dt.date, float | None]] = {}
    if not trend.is_empty():
        recent = (
            _with_township(trend)
            .filter(pl.col("as_of").is_in(nights))
            .with_columns(coverage_rate=coverage_rate(digits=None))
        )
        for r in recent.iter_rows(named=True):
            per_township.setdefault(r["township"], {})[r["as_of"]] = r["coverage_rate"]

    def table_row(name: str, rates: dict[dt.date, float | None], city_row: bool) -> dict:
        values = [rates.get(n) for n in nights]
        change = None
        if len(values) >= 2 and values[-1] is not None and values[-2] is not None:
            change = (values[-1] - values[-2]) * 100
        return {
            "name": name,
            "city": city_row,
            "rates": [percent_text(v, 2) for v in values],
            "change": points_text(change),
            "falling": change is not None and round(change, 2) < 0,
        }

    rows = [table_row(f"全市（{CITY}）", city_by_night, True)]
    rows += [table_row(t, per_township[t], False) for t in sorted(per_township)]
    return {
        "nights_full": [f"{n:%Y-%m-%d}" for n in nights],
        "rows": rows,
        "has_change": len(nights) >= 2,
        "count": len(city),
        "single": len(city) == 1,
    }


# ---------------------------------------------------------------- uninsured


def uninsured_section(uninsured: pl.DataFrame, townships: list[str]) -> dict[str, Any]:
    """The uninsured by category, special group and township (应保未保人员分类)."""
    frame = _with_township(uninsured)
    codes = list(CATEGORY) + sorted(
        c for c in frame["category"].drop_nulls().unique().to_list() if c not in CATEGORY
    )
    categories = []
    for code in codes:
        part = frame.filter(pl.col("category") == code)
        categories.append(
            {
                "label": CATEGORY.get(code, code),
                "count": count_text(part.height),
                "advance": money_text(_dsum(part, "advance_amount")),
            }
        )
    groups_column = frame["special_groups"].explode().drop_nulls()
    group_counts = groups_column.value_counts().to_dicts() if groups_column.len() else []
    counted = {g["special_groups"]: g["count"] for g in group_counts}
    extra = sorted(g for g in counted if g not in SPECIAL_GROUPS)
    groups = [
        {"label": g, "count": count_text(counted.get(g, 0))} for g in (*SPECIAL_GROUPS, *extra)
    ]
    in_any_group = (
        frame.filter(pl.col("special_groups").list.len().fill_null(0) > 0).height
        if not frame.is_empty()
        else 0
    )
    matrix = []
    for township in townships:
        part = frame.filter(pl.col("township") == township)
        counts = [part.filter(pl.col("category") == c).height for c in codes]
        matrix.append(
            {
                "township": township,
                "counts": [count_text(n) for n in counts],
                "total": count_text(part.height),
            }
        )
    totals = [count_text(frame.filter(pl.col("category") == c).height) for c in codes]
    return {
        "total": count_text(frame.height),
        "categories": categories,
        "category_labels": [CATEGORY.get(c, c) for c in codes],
        "groups": groups,
        "in_any_group": count_text(in_any_group),
        "matrix": matrix,
        "matrix_totals": totals,
        "advance": money_text(_dsum(frame, "advance_amount")),
    }


# ---------------------------------------------------------------- findings


def deaths_section(deaths: pl.DataFrame, townships: list[str]) -> dict[str, Any]:
    """Deaths to deregister by decision and township, with the money at stake."""
    frame = _with_township(deaths)
    decisions = []
    for code in (*DECISION, *sorted(set(frame["decision"].drop_nulls()) - set(DECISION))):
        part = frame.filter(pl.col("decision") == code)
        decisions.append(_death_totals(DECISION.get(code, code), part))
    by_township = []
    for township in townships:
        part = frame.filter(pl.col("township") == township)
        row = _death_totals(township, part)
        row["confirmed"] = count_text(part.filter(pl.col("decision") == "confirmed").height)
        row["review"] = count_text(part.filter(pl.col("decision") == "review").height)
        by_township.append(row)
    total = _death_totals("合计", frame)
    total["confirmed"] = count_text(frame.filter(pl.col("decision") == "confirmed").height)
    total["review"] = count_text(frame.filter(pl.col("decision") == "review").height)
    return {"decisions": decisions, "by_township": by_township, "total": total}


def _death_totals(label: str, part: pl.DataFrame) -> dict[str, Any]:
    months = int(part["overpaid_months"].drop_nulls().sum()) if not part.is_empty() else 0
    return {
        "label": label,
        "count": count_text(part.height),
        "months": count_text(months),
        "overpaid": money_text(_dsum(part, "overpaid_amount")),
        "to_recover": money_text(_dsum(part, "to_recover")),
    }


def funeral_section(funeral: pl.DataFrame) -> dict[str, Any]:
    """Funeral benefits to recover by kind; those under review apart (not recovered yet)."""
    review = (
        funeral.filter(pl.col("decision") == "review")
        if "decision" in funeral.columns
        else funeral.clear()
    )
    asserted = funeral.join(review, on=funeral.columns, how="anti") if review.height else funeral
    kinds = []
    for code in (*FUNERAL_KIND, *sorted(set(funeral["kind"].drop_nulls()) - set(FUNERAL_KIND))):
        part = asserted.filter(pl.col("kind") == code)
        kinds.append(
            {
                "label": FUNERAL_KIND.get(code, code),
                "count": count_text(part.height),
                "amount": money_text(_dsum(part, "amount_to_recover")),
            }
        )
    if review.height:
        kinds.append(
            {
                "label": "人工核实：死亡时参保状态无法确定（暂不追回）",
                "count": count_text(review.height),
                "amount": money_text(_dsum(review, "amount_to_recover")),
            }
        )
    return {
        "kinds": kinds,
        "count": count_text(funeral.height),
        "amount": money_text(_dsum(funeral, "amount_to_recover")),
    }


def disagreements_section(disagreements: pl.DataFrame) -> dict[str, Any]:
    """Counts per kind and per agency named (a row names two or more agencies)."""
    present = set(disagreements["kind"].drop_nulls())
    codes = [c for c in DISAGREEMENT_KIND if c in present] + sorted(
        present - set(DISAGREEMENT_KIND)
    )
    kinds = []
    for code in codes:
        part = disagreements.filter(pl.col("kind") == code)
        kinds.append(
            {
                "label": DISAGREEMENT_KIND.get(code, code),
                "code": code,
                "count": count_text(part.height),
                "agencies": "、".join(part["agencies"].explode().drop_nulls().unique().sort()),
            }
        )
    named = disagreements["agencies"].explode().drop_nulls()
    counts = named.value_counts(sort=True).to_dicts() if named.len() else []
    agencies = [
        {"agency": c["agencies"], "count": count_text(c["count"])}
        for c in sorted(counts, key=lambda c: (-c["count"], c["agencies"]))
    ]
    return {"kinds": kinds, "agencies": agencies, "count": count_text(disagreements.height)}


# ---------------------------------------------------------------- quality


def quality_section(quality: pl.DataFrame) -> list[dict[str, Any]]:
    """Each agency file's rows, rejections, usable-ID and link rates (各部门数据质量)."""
    rows = []
    for r in quality.iter_rows(named=True):
        valid = None
        if r["ids_valid"] is not None:
            valid = _ratio(r["ids_valid"] + (r["ids_repaired"] or 0), r["rows_read"])
        linked = None
        if r["rows_linked"] is not None and r["rows_unlinked"] is not None:
            linked = _ratio(r["rows_linked"], r["rows_linked"] + r["rows_unlinked"])
        failed = r["expectations_failed"] or 0
        rows.append(
            {
                "agency": r["agency"] or DASH,
                "title": r["title"] or DASH,
                "source": r["source"],
                "rows_read": count_text(r["rows_read"]),
                "rows_rejected": count_text(r["rows_rejected"]),
                "rejected": bool(r["rows_rejected"]),
                "id_rate": percent_text(valid),
                "id_low": valid is not None and valid < LOW_ID_RATE,
                "link_rate": percent_text(linked),
                "stale": bool(r["stale"]),
                "failed": count_text(failed),
                "failed_alert": failed > 0,
                "expectations": count_text(r["expectations"]),
                "note": r["note"] or "",
            }
        )
    return rows


# ---------------------------------------------------------------- machine-readable


def chart_json(coverage: list[dict[str, Any]], trend: list[dict[str, Any]]) -> Markup:
    """The charts' numbers for re-use; `<`, `>`, `&` escaped so the script block stays shut."""
    keys = ("township", "residents_16_plus", "insured", "uninsured_eligible", "coverage_rate")
    payload = {
        "coverage": [{k: row[k] for k in keys} for row in coverage],
        "trend": [
            {"as_of": p["as_of"].isoformat(), "coverage_rate": p["coverage_rate"]} for p in trend
        ],
    }
    text = json.dumps(payload, ensure_ascii=False, indent=1)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)
