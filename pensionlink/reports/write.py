"""Write the bureau's reports for the latest published night (生成报表)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pensionlink.file_modes import file_mode, restricted_file
from pensionlink.reports.data import ReportData
from pensionlink.reports.file_names import TOWNSHIPS, report_path, township_file_stem
from pensionlink.reports.workbook import write_township_workbook

__all__ = ["ReportFiles", "UnknownTownship", "report_steps", "write_reports"]

log = logging.getLogger(__name__)


class UnknownTownship(LookupError):
    """`--township` names no township of tonight's results."""


@dataclass(frozen=True)
class ReportFiles:
    """What was written: one workbook per township and the HTML summary."""

    workbooks: list[Path]
    summary: Path | None


def write_reports(
    data: ReportData,
    out: Path,
    township: str | None = None,
    on_step: Callable[[str], None] | None = None,
) -> ReportFiles:
    """Write `<township>_<as-of>.xlsx` for each township (or the one asked for) and, for
    the whole city, `汇总_<as-of>.html`; `on_step` is told before each file. A township
    outside the city's nine gets a safe file name (`file_names.township_file_stem`)."""
    townships = data.townships
    if township is not None:
        if township not in townships:
            # only the city's own townships are named: any other value came from the data
            known = "、".join(t for t in townships if t in TOWNSHIPS) or "（无）"
            if others := len([t for t in townships if t not in TOWNSHIPS]):
                known += f" (+{others} other value(s))"
            raise UnknownTownship(f"no township '{township}' in tonight's results; known: {known}")
        townships = [township]
    out.mkdir(parents=True, exist_ok=True)
    mode = file_mode()  # the deployment's mode (0640 by default), once for every file
    step = on_step or (lambda _: None)
    workbooks = []
    for name in townships:
        stem = township_file_stem(name)
        step(f"{stem} 核查表")
        path = report_path(out, f"{stem}_{data.as_of:%Y-%m-%d}.xlsx")
        restricted_file(path, mode)
        workbooks.append(write_township_workbook(path, name, data.for_township(name)))
    summary = None
    if township is None:
        from pensionlink.reports.summary import render_summary

        step("汇总报告 HTML")
        summary = report_path(out, f"汇总_{data.as_of:%Y-%m-%d}.html")
        restricted_file(summary, mode).write_text(render_summary(data), encoding="utf-8")
    log.info("wrote %d workbooks%s", len(workbooks), " and the summary" if summary else "")
    return ReportFiles(workbooks=workbooks, summary=summary)


def report_steps(data: ReportData, township: str | None = None) -> int:
    """How many files `write_reports` will write (for a progress bar)."""
    return 1 if township is not None else len(data.townships) + 1
