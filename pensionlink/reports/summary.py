"""The city-wide daily summary (数据比对日报) as one self-contained HTML page.

The township workbooks list people for the staff who act on them; this page is for the
readers who need the night at a glance: how many pensioners to deregister and how much to
recover, how many eligible residents are still uninsured, each township's coverage and
its trend, and how well each agency's file served the match. It is a single file — inline
CSS, charts drawn as SVG, no script to run, nothing fetched from the network — so it
opens from a mail attachment or a USB stick on an office PC and prints on A4. It shows
aggregates only: no names, no citizen IDs.

The numbers are computed in `summary_data`, the chart geometry in `summary_charts`; the
template only lays out the prepared strings and shapes.
"""

from __future__ import annotations

import datetime as dt
import functools

import jinja2

from pensionlink.reports import summary_data as page
from pensionlink.reports.advance_ledger import advance_fund, ended_note
from pensionlink.reports.case_flow import flow_section
from pensionlink.reports.data import ReportData
from pensionlink.reports.summary_charts import bar_chart, line_chart
from pensionlink.settings import ADVANCE_NOT_IN_FORCE, PolicyError, load_policy

__all__ = ["render_summary"]


def render_summary(data: ReportData) -> str:
    """The night's summary page as HTML text (UTF-8 when written), aggregates only."""
    coverage = page.coverage_rows(data.coverage)
    city = page.city_coverage(data.coverage)
    trend = page.city_trend(data.coverage_trend)
    townships = page.township_names(data)
    context = {
        "title": f"{page.CITY}城乡居民养老保险数据比对日报（截至 {data.as_of:%Y-%m-%d}）",
        "run_id": data.run_id,
        "finished_at": f"{data.finished_at:%Y-%m-%d %H:%M}",
        "as_of": f"{data.as_of:%Y-%m-%d}",
        "overview": page.overview(data, city),
        "coverage": {
            "rows": coverage,
            "total": city,
            "chart": bar_chart(coverage, city),
        },
        "trend": {
            **page.trend_section(data.coverage_trend, trend),
            "chart": line_chart(trend) if trend else None,
        },
        "uninsured": page.uninsured_section(data.uninsured, townships),
        "deaths": page.deaths_section(data.deaths, townships),
        "funeral": page.funeral_section(data.funeral),
        "disagreements": page.disagreements_section(data.disagreements),
        "quality": page.quality_section(data.quality),
        "chart_data": page.chart_json(coverage, trend),
        "flow": flow_section(data.cases, data.run_dates),
        "advance": None if data.cases is None else advance_fund(data.cases, data.case_events),
        "advance_ended": ended_note(data.uninsured, _advance_ended(data)),
    }
    return _template().render(**context)


def _advance_ended(data: ReportData) -> dt.date | None:
    """The advance rule's end date when tonight's back-payers are listed without an advance
    (垫付政策不在执行期); None while it is in force."""
    notes = data.uninsured.get_column("advance_note", default=None)
    if notes is None or not (notes == ADVANCE_NOT_IN_FORCE).any():
        return None
    try:
        ended = dict(load_policy(data.as_of).ended)
    except PolicyError:
        return None
    return ended.get("advance_cap")


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
