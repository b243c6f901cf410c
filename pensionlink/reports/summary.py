"""The city-wide daily summary (数据比对日报) as one self-contained HTML page.

The township workbooks list people for the staff who act on them; this page is for the
readers who need the night at a glance: how many pensioners to deregister and how much to
recover, how many eligible residents are still uninsured, each township's coverage and
its trend, and how well each agency's file served the match. It is a single file — inline
CSS, charts drawn here as SVG, no script to run, nothing fetched from the network — so it
opens from a mail attachment or a USB stick on an office PC and prints on A4. It shows
aggregates only: no names, no citizen IDs.

All numbers are computed here; the template only lays out the prepared strings and shapes.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import math
from decimal import Decimal
from typing import Any

import jinja2
import polars as pl
from markupsafe import Markup

from pensionlink.reports.data import ReportData
from pensionlink.reports.labels import CATEGORY, DECISION, DISAGREEMENT_KIND, FUNERAL_KIND

__all__ = ["render_summary"]

CITY = "龙井市"
UNKNOWN_TOWNSHIP = "乡镇不详"
SPECIAL_GROUPS = ("城市低保", "农村低保", "特困供养", "重度残疾", "脱贫户", "监测户")
TREND_NIGHTS = 7
LOW_ID_RATE = 0.9  # below this an agency's usable-ID rate is shown in red
ZERO = Decimal("0.00")
DASH = "—"

# Chart geometry, in SVG user units (the page is at most 1000 px wide).
CHART_WIDTH = 960
BAR_LABEL_RIGHT = 92  # township names end here (text-anchor end)
BAR_LEFT = 100
BAR_SPAN = 740  # 100 % — leaves room on the right for the value label
BAR_ROW = 30
BAR_HEIGHT = 18
BAR_TOP = 28
BAR_BOTTOM = 34
LINE_HEIGHT = 260
LINE_LEFT = 70
LINE_RIGHT = 90
LINE_TOP = 22
LINE_BOTTOM = 40
MAX_X_LABELS = 8


def render_summary(data: ReportData) -> str:
    """The night's summary page as HTML text (UTF-8 when written), aggregates only."""
    coverage = _coverage_rows(data.coverage)
    city = _city_coverage(data.coverage)
    trend = _city_trend(data.coverage_trend)
    townships = _townships(data)
    context = {
        "title": f"{CITY}城乡居民养老保险数据比对日报（截至 {data.as_of:%Y-%m-%d}）",
        "run_id": data.run_id,
        "finished_at": f"{data.finished_at:%Y-%m-%d %H:%M}",
        "as_of": f"{data.as_of:%Y-%m-%d}",
        "overview": _overview(data, city),
        "coverage": {
            "rows": coverage,
            "total": city,
            "chart": _bar_chart(coverage, city["rate"]),
        },
        "trend": _trend_section(data.coverage_trend, trend),
        "uninsured": _uninsured_section(data.uninsured, townships),
        "deaths": _deaths_section(data.deaths, townships),
        "funeral": _funeral_section(data.funeral),
        "disagreements": _disagreements_section(data.disagreements),
        "quality": _quality_section(data.quality),
        "chart_data": _chart_json(coverage, trend),
    }
    return _template().render(**context)


@functools.cache
def _template() -> jinja2.Template:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("pensionlink", "reports/templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    return env.get_template("summary.html.j2")


# ---------------------------------------------------------------- formatting


def _int(value: int | None) -> str:
    return DASH if value is None else f"{value:,}"


def _money(value: Decimal | None) -> str:
    return DASH if value is None else f"{value:,.2f}"


def _pct(rate: float | None, digits: int = 1) -> str:
    return DASH if rate is None else f"{rate * 100:.{digits}f}%"


def _points(change: float | None) -> str:
    """A change in percentage points, signed; no sign when it rounds to nothing."""
    if change is None:
        return DASH
    return "0.00" if round(change, 2) == 0 else f"{change:+.2f}"


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


def _townships(data: ReportData) -> list[str]:
    """Every township once, the unknown area last when some row lacks one."""
    names = list(data.townships)
    frames = (data.coverage, data.deaths, data.uninsured, data.funeral)
    if any(f["township"].null_count() for f in frames if not f.is_empty()):
        names.append(UNKNOWN_TOWNSHIP)
    return names


# ---------------------------------------------------------------- overview


def _overview(data: ReportData, city: dict[str, Any]) -> dict[str, Any]:
    deaths = data.deaths
    confirmed = deaths.filter(pl.col("decision") == "confirmed").height
    review = deaths.filter(pl.col("decision") == "review").height
    stale = data.quality.filter(pl.col("stale").fill_null(False))
    failed = data.quality.filter(pl.col("expectations_failed").fill_null(0) > 0)
    return {
        "deaths": _int(deaths.height),
        "confirmed": _int(confirmed),
        "review": _int(review),
        "overpaid": _money(_dsum(deaths, "overpaid_amount")),
        "to_recover": _money(_dsum(deaths, "to_recover")),
        "uninsured": _int(data.uninsured.height),
        "advance": _money(_dsum(data.uninsured, "advance_amount")),
        "funeral": _int(data.funeral.height),
        "funeral_recover": _money(_dsum(data.funeral, "amount_to_recover")),
        "city_rate": city["rate_text"],
        "city_insured": city["insured_text"],
        "city_residents": city["residents_text"],
        "stale_sources": [f"{r['agency']}·{r['title']}" for r in stale.iter_rows(named=True)],
        "failed_sources": [f"{r['agency']}·{r['title']}" for r in failed.iter_rows(named=True)],
    }


# ---------------------------------------------------------------- coverage


def _coverage_rows(coverage: pl.DataFrame) -> list[dict[str, Any]]:
    """One row per township (villages summed), highest rate first."""
    if coverage.is_empty():
        return []
    per_township = (
        _with_township(coverage)
        .group_by("township")
        .agg(pl.col("residents_16_plus", "insured", "uninsured_eligible").sum())
        .to_dicts()
    )
    rows = []
    for r in per_township:
        rate = _ratio(r["insured"], r["residents_16_plus"])
        rows.append(
            {
                "township": r["township"],
                "residents_16_plus": int(r["residents_16_plus"]),
                "insured": int(r["insured"]),
                "uninsured_eligible": int(r["uninsured_eligible"]),
                "coverage_rate": None if rate is None else round(rate, 4),
                "residents_text": _int(r["residents_16_plus"]),
                "insured_text": _int(r["insured"]),
                "uninsured_text": _int(r["uninsured_eligible"]),
                "rate_text": _pct(rate),
            }
        )
    rows.sort(key=lambda r: (-(r["coverage_rate"] or -1.0), r["township"]))
    return rows


def _city_coverage(coverage: pl.DataFrame) -> dict[str, Any]:
    residents = int(coverage["residents_16_plus"].sum()) if not coverage.is_empty() else 0
    insured = int(coverage["insured"].sum()) if not coverage.is_empty() else 0
    uninsured = int(coverage["uninsured_eligible"].sum()) if not coverage.is_empty() else 0
    rate = _ratio(insured, residents)
    return {
        "rate": rate,
        "rate_text": _pct(rate),
        "residents_text": _int(residents),
        "insured_text": _int(insured),
        "uninsured_text": _int(uninsured),
    }


def _bar_chart(rows: list[dict[str, Any]], city_rate: float | None) -> dict[str, Any]:
    """A horizontal bar per township on a 0–100 % axis, the city rate as a dashed line."""
    height = BAR_TOP + BAR_ROW * max(len(rows), 1) + BAR_BOTTOM
    bars = []
    for i, row in enumerate(rows):
        rate = row["coverage_rate"]
        width = BAR_SPAN * (rate or 0.0)
        top = BAR_TOP + i * BAR_ROW + (BAR_ROW - BAR_HEIGHT) / 2
        below = rate is not None and city_rate is not None and rate < round(city_rate, 4)
        bars.append(
            {
                "township": row["township"],
                "rate_attr": "" if rate is None else f"{rate:.4f}",
                "x": BAR_LEFT,
                "y": round(top, 1),
                "width": round(width, 1),
                "height": BAR_HEIGHT,
                "text_y": round(top + BAR_HEIGHT / 2 + 5, 1),
                "value_x": round(BAR_LEFT + width + 6, 1),
                "label": row["rate_text"],
                "below": below,
            }
        )
    plot_bottom = BAR_TOP + BAR_ROW * max(len(rows), 1)
    grid = [{"x": BAR_LEFT + BAR_SPAN * p / 100, "label": f"{p}%"} for p in range(0, 101, 20)]
    average = None
    if city_rate is not None and rows:
        x = round(BAR_LEFT + BAR_SPAN * city_rate, 1)
        average = {
            "x": x,
            "y1": BAR_TOP - 4,
            "y2": plot_bottom + 4,
            "label_y": plot_bottom + 22,
            "label": f"全市 {_pct(city_rate)}",
        }
    return {
        "width": CHART_WIDTH,
        "height": height,
        "bars": bars,
        "grid": grid,
        "grid_top": BAR_TOP - 4,
        "grid_bottom": plot_bottom,
        "grid_label_y": BAR_TOP - 10,
        "label_x": BAR_LABEL_RIGHT,
        "average": average,
    }


# ---------------------------------------------------------------- trend


def _city_trend(trend: pl.DataFrame) -> list[dict[str, Any]]:
    """City-wide rate per night: all townships' insured over all their residents."""
    if trend.is_empty():
        return []
    nights = (
        trend.group_by("as_of")
        .agg(pl.col("residents_16_plus", "insured").sum())
        .sort("as_of")
        .to_dicts()
    )
    points = []
    for night in nights:
        rate = _ratio(night["insured"], night["residents_16_plus"])
        if rate is not None:
            points.append({"as_of": night["as_of"], "coverage_rate": round(rate, 4)})
    return points


def _trend_section(trend: pl.DataFrame, city: list[dict[str, Any]]) -> dict[str, Any]:
    nights = [p["as_of"] for p in city][-TREND_NIGHTS:]
    city_by_night = {p["as_of"]: p["coverage_rate"] for p in city}
    per_township: dict[str, dict[dt.date, float | None]] = {}
    if not trend.is_empty():
        recent = _with_township(trend).filter(pl.col("as_of").is_in(nights))
        for r in recent.iter_rows(named=True):
            rate = _ratio(r["insured"], r["residents_16_plus"])
            per_township.setdefault(r["township"], {})[r["as_of"]] = rate

    def table_row(name: str, rates: dict[dt.date, float | None], city_row: bool) -> dict:
        values = [rates.get(n) for n in nights]
        change = None
        if len(values) >= 2 and values[-1] is not None and values[-2] is not None:
            change = (values[-1] - values[-2]) * 100
        return {
            "name": name,
            "city": city_row,
            "rates": [_pct(v, 2) for v in values],
            "change": _points(change),
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
        "chart": _line_chart(city) if city else None,
    }


def _line_chart(points: list[dict[str, Any]]) -> dict[str, Any]:
    """The city rate per night; x by date, y scaled to the data (at least one point span)."""
    rates = [p["coverage_rate"] for p in points]
    low, high = min(rates), max(rates)
    if high - low < 0.01:
        middle = (high + low) / 2
        low, high = middle - 0.005, middle + 0.005
    step = _nice_step((high - low) / 5)
    low = max(0.0, math.floor(low / step) * step)
    high = min(1.0, math.ceil(high / step) * step)
    if high <= low:
        low, high = max(0.0, high - step), min(1.0, low + step)
    plot_w = CHART_WIDTH - LINE_LEFT - LINE_RIGHT
    plot_h = LINE_HEIGHT - LINE_TOP - LINE_BOTTOM
    first, last = points[0]["as_of"], points[-1]["as_of"]
    span_days = (last - first).days

    def x_of(day: dt.date) -> float:
        if span_days == 0:
            return LINE_LEFT + plot_w / 2
        return LINE_LEFT + plot_w * (day - first).days / span_days

    def y_of(rate: float) -> float:
        return LINE_TOP + plot_h * (high - rate) / (high - low)

    yticks = []
    for i in range(round((high - low) / step) + 1):
        value = low + i * step
        yticks.append({"y": round(y_of(value), 1), "label": _pct(value)})
    years = {p["as_of"].year for p in points}
    day_format = "%m-%d" if len(years) == 1 else "%Y-%m-%d"
    every = max(1, math.ceil(len(points) / MAX_X_LABELS))
    shown = set(range(len(points) - 1, -1, -every))  # always label the latest night
    dots = []
    for i, p in enumerate(points):
        x, y = round(x_of(p["as_of"]), 1), round(y_of(p["coverage_rate"]), 1)
        dots.append(
            {
                "x": x,
                "y": y,
                "title": f"{p['as_of']:%Y-%m-%d} 全市参保率 {_pct(p['coverage_rate'], 2)}",
                "day": f"{p['as_of']:{day_format}}" if i in shown else None,
            }
        )
    latest = dots[-1]
    return {
        "width": CHART_WIDTH,
        "height": LINE_HEIGHT,
        "left": LINE_LEFT,
        "right": CHART_WIDTH - LINE_RIGHT,
        "top": LINE_TOP,
        "bottom": LINE_HEIGHT - LINE_BOTTOM,
        "axis_label_x": LINE_LEFT - 8,
        "day_y": LINE_HEIGHT - LINE_BOTTOM + 20,
        "yticks": yticks,
        "dots": dots,
        "path": " ".join(f"{'M' if i == 0 else 'L'}{d['x']},{d['y']}" for i, d in enumerate(dots)),
        "latest": {
            "x": latest["x"] + 10,
            "y": latest["y"] + 5,
            "label": _pct(points[-1]["coverage_rate"], 2),
        },
    }


def _nice_step(raw: float) -> float:
    # Steps a one-decimal percentage shows exactly, so no tick label is rounded.
    for step in (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2):
        if step >= raw:
            return step
    return 0.2


# ---------------------------------------------------------------- uninsured


def _uninsured_section(uninsured: pl.DataFrame, townships: list[str]) -> dict[str, Any]:
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
                "count": _int(part.height),
                "advance": _money(_dsum(part, "advance_amount")),
            }
        )
    groups_column = frame["special_groups"].explode().drop_nulls()
    group_counts = groups_column.value_counts().to_dicts() if groups_column.len() else []
    counted = {g["special_groups"]: g["count"] for g in group_counts}
    extra = sorted(g for g in counted if g not in SPECIAL_GROUPS)
    groups = [{"label": g, "count": _int(counted.get(g, 0))} for g in (*SPECIAL_GROUPS, *extra)]
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
            {"township": township, "counts": [_int(n) for n in counts], "total": _int(part.height)}
        )
    totals = [_int(frame.filter(pl.col("category") == c).height) for c in codes]
    return {
        "total": _int(frame.height),
        "categories": categories,
        "category_labels": [CATEGORY.get(c, c) for c in codes],
        "groups": groups,
        "in_any_group": _int(in_any_group),
        "matrix": matrix,
        "matrix_totals": totals,
        "advance": _money(_dsum(frame, "advance_amount")),
    }


# ---------------------------------------------------------------- findings


def _deaths_section(deaths: pl.DataFrame, townships: list[str]) -> dict[str, Any]:
    frame = _with_township(deaths)
    decisions = []
    for code in (*DECISION, *sorted(set(frame["decision"].drop_nulls()) - set(DECISION))):
        part = frame.filter(pl.col("decision") == code)
        decisions.append(_death_totals(DECISION.get(code, code), part))
    by_township = []
    for township in townships:
        part = frame.filter(pl.col("township") == township)
        row = _death_totals(township, part)
        row["confirmed"] = _int(part.filter(pl.col("decision") == "confirmed").height)
        row["review"] = _int(part.filter(pl.col("decision") == "review").height)
        by_township.append(row)
    total = _death_totals("合计", frame)
    total["confirmed"] = _int(frame.filter(pl.col("decision") == "confirmed").height)
    total["review"] = _int(frame.filter(pl.col("decision") == "review").height)
    return {"decisions": decisions, "by_township": by_township, "total": total}


def _death_totals(label: str, part: pl.DataFrame) -> dict[str, Any]:
    months = int(part["overpaid_months"].drop_nulls().sum()) if not part.is_empty() else 0
    return {
        "label": label,
        "count": _int(part.height),
        "months": _int(months),
        "overpaid": _money(_dsum(part, "overpaid_amount")),
        "to_recover": _money(_dsum(part, "to_recover")),
    }


def _funeral_section(funeral: pl.DataFrame) -> dict[str, Any]:
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
                "count": _int(part.height),
                "amount": _money(_dsum(part, "amount_to_recover")),
            }
        )
    if review.height:
        kinds.append(
            {
                "label": "人工核实：死亡时参保状态无法确定（暂不追回）",
                "count": _int(review.height),
                "amount": _money(_dsum(review, "amount_to_recover")),
            }
        )
    return {
        "kinds": kinds,
        "count": _int(funeral.height),
        "amount": _money(_dsum(funeral, "amount_to_recover")),
    }


def _disagreements_section(disagreements: pl.DataFrame) -> dict[str, Any]:
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
                "count": _int(part.height),
                "agencies": "、".join(part["agencies"].explode().drop_nulls().unique().sort()),
            }
        )
    named = disagreements["agencies"].explode().drop_nulls()
    counts = named.value_counts(sort=True).to_dicts() if named.len() else []
    agencies = [
        {"agency": c["agencies"], "count": _int(c["count"])}
        for c in sorted(counts, key=lambda c: (-c["count"], c["agencies"]))
    ]
    return {"kinds": kinds, "agencies": agencies, "count": _int(disagreements.height)}


# ---------------------------------------------------------------- quality


def _quality_section(quality: pl.DataFrame) -> list[dict[str, Any]]:
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
                "rows_read": _int(r["rows_read"]),
                "rows_rejected": _int(r["rows_rejected"]),
                "rejected": bool(r["rows_rejected"]),
                "id_rate": _pct(valid),
                "id_low": valid is not None and valid < LOW_ID_RATE,
                "link_rate": _pct(linked),
                "stale": bool(r["stale"]),
                "failed": _int(failed),
                "failed_alert": failed > 0,
                "expectations": _int(r["expectations"]),
                "note": r["note"] or "",
            }
        )
    return rows


# ---------------------------------------------------------------- machine-readable


def _chart_json(coverage: list[dict[str, Any]], trend: list[dict[str, Any]]) -> Markup:
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
