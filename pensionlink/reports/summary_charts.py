"""The daily summary's charts as SVG geometry (日报图表): the coverage bars per township
and the city's coverage line over the nights, in SVG user units (the page is at most
1000 px wide). Positions only; the numbers come prepared from `summary_data`."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from pensionlink.reports.summary_text import percent_text

__all__ = ["bar_chart", "line_chart"]

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


def bar_chart(rows: list[dict[str, Any]], city: dict[str, Any]) -> dict[str, Any]:
    """A horizontal bar per township on a 0–100 % axis, the city rate as a dashed line;
    a township below the city (both as kept, `coverage_rate`) is marked."""
    city_rate = city["rate"]
    height = BAR_TOP + BAR_ROW * max(len(rows), 1) + BAR_BOTTOM
    bars = []
    for i, row in enumerate(rows):
        rate = row["coverage_rate"]
        width = BAR_SPAN * (rate or 0.0)
        top = BAR_TOP + i * BAR_ROW + (BAR_ROW - BAR_HEIGHT) / 2
        below = rate is not None and city_rate is not None and rate < city["coverage_rate"]
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
            "label": f"全市 {percent_text(city_rate)}",
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


def line_chart(points: list[dict[str, Any]]) -> dict[str, Any]:
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
        yticks.append({"y": round(y_of(value), 1), "label": percent_text(value)})
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
                "title": f"{p['as_of']:%Y-%m-%d} 全市参保率 {percent_text(p['coverage_rate'], 2)}",
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
            "label": percent_text(points[-1]["coverage_rate"], 2),
        },
    }


def _nice_step(raw: float) -> float:
    # Steps a one-decimal percentage shows exactly, so no tick label is rounded.
    for step in (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2):
        if step >= raw:
            return step
    return 0.2
