"""Write the bureau's reports for the latest published night (生成报表)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from pensionlink.file_modes import file_mode, restricted_file
from pensionlink.reports.data import ReportData
from pensionlink.reports.death_documents import (
    PdfUnavailable,
    html_to_pdf,
    render_notices,
    render_settlements,
)
from pensionlink.reports.document_data import DeathDocuments
from pensionlink.reports.file_names import TOWNSHIPS, report_path, township_file_stem
from pensionlink.reports.subsidy_forms import (
    printed_claims,
    render_approval_forms,
    render_claims_summary,
)
from pensionlink.reports.workbook import write_township_workbook

__all__ = ["ReportFiles", "UnknownTownship", "report_steps", "write_reports"]

log = logging.getLogger(__name__)


class UnknownTownship(LookupError):
    """`--township` names no township of tonight's results."""


@dataclass(frozen=True)
class ReportFiles:
    """What was written: one workbook per township, the HTML summary, and the death
    documents (告知书 and 结算单 per township with deaths to notify, 丧葬补助金发放审批表 and
    申领汇总表 per township with subsidy claims)."""

    workbooks: list[Path]
    summary: Path | None
    documents: list[Path] = field(default_factory=list)


def write_reports(
    data: ReportData,
    out: Path,
    township: str | None = None,
    on_step: Callable[[str], None] | None = None,
    documents: DeathDocuments | None = None,
) -> ReportFiles:
    """Write `<township>_<as-of>.xlsx` for each township (or the one asked for) and, for
    the whole city, `汇总_<as-of>.html`; `on_step` is told before each file. A township
    outside the city's nine gets a safe file name (`file_names.township_file_stem`). With
    `documents`, each township with death cases to notify also gets
    `<township>_死亡待遇结算告知书_<as-of>.pdf` and `…_死亡待遇结算单_<as-of>.pdf` (one A4
    page per case; `.html` where WeasyPrint cannot run), and each township with funeral
    subsidy claims `…_丧葬补助金发放审批表_<as-of>.pdf` (a page per claim applied for) and
    `…_丧葬补助金申领汇总表_<as-of>.pdf`."""
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
    written: list[Path] = []
    for name in townships:
        stem = township_file_stem(name)
        step(f"{stem} 核查表")
        path = report_path(out, f"{stem}_{data.as_of:%Y-%m-%d}.xlsx")
        restricted_file(path, mode)
        here = data.for_township(name)
        workbooks.append(write_township_workbook(path, name, here))
        if documents is not None:
            rows = documents.for_township(name)
            if rows.height:
                step(f"{stem} 告知书、结算单")
                written.extend(_write_documents(out, stem, data, rows, documents, mode))
            if here.cases is not None and not printed_claims(here.cases, summary=True).is_empty():
                step(f"{stem} 丧葬补助金发放审批表、申领汇总表")
                written.extend(_write_claim_forms(out, stem, name, here, documents, mode))
    summary = None
    if township is None:
        from pensionlink.reports.summary import render_summary

        step("汇总报告 HTML")
        summary = report_path(out, f"汇总_{data.as_of:%Y-%m-%d}.html")
        restricted_file(summary, mode).write_text(render_summary(data), encoding="utf-8")
    log.info(
        "wrote %d workbooks, %d documents%s",
        len(workbooks),
        len(written),
        " and the summary" if summary else "",
    )
    return ReportFiles(workbooks=workbooks, summary=summary, documents=written)


def _write_claim_forms(
    out: Path, stem: str, township: str, here: ReportData, documents: DeathDocuments, mode
) -> list[Path]:
    """One township's 丧葬补助金发放审批表 (claims applied for) and 申领汇总表 (every claim)."""
    bureau, as_of = documents.terms.bureau.name, here.as_of
    cases, deaths, events = here.cases, here.claim_deaths, here.case_events
    pages = [
        (
            "丧葬补助金申领汇总表",
            render_claims_summary(township, cases, deaths, events, as_of, bureau),
        )
    ]
    applied = printed_claims(cases, summary=False)
    if applied.height:
        html = render_approval_forms(applied, deaths, events, as_of, bureau)
        pages.insert(0, ("丧葬补助金发放审批表", html))
    return [
        _write_pdf(out, f"{stem}_{title}_{as_of:%Y-%m-%d}", html, mode) for title, html in pages
    ]


def _write_pdf(out: Path, name: str, html: str, mode) -> Path:
    """`name`.pdf (print-ready `.html` where WeasyPrint cannot run)."""
    try:
        content, suffix = html_to_pdf(html), "pdf"
    except PdfUnavailable as exc:
        log.warning("documents as HTML: %s", exc)
        content, suffix = html.encode("utf-8"), "html"
    path = report_path(out, f"{name}.{suffix}")
    restricted_file(path, mode).write_bytes(content)
    return path


def _write_documents(
    out: Path, stem: str, data: ReportData, rows: pl.DataFrame, documents: DeathDocuments, mode
) -> list[Path]:
    """One township's 告知书 and 结算单 (PDF, or print-ready HTML without WeasyPrint)."""
    paths = []
    for title, render in (
        ("死亡待遇结算告知书", render_notices),
        ("死亡待遇结算单", render_settlements),
    ):
        html = render(rows, documents.terms)
        paths.append(_write_pdf(out, f"{stem}_{title}_{data.as_of:%Y-%m-%d}", html, mode))
    return paths


def report_steps(
    data: ReportData, township: str | None = None, documents: DeathDocuments | None = None
) -> int:
    """How many steps `write_reports` will tell (for a progress bar)."""
    townships = data.townships if township is None else [township]
    with_documents = (
        0
        if documents is None
        else documents.rows.filter(pl.col("township").is_in(townships))["township"].n_unique()
    )
    if documents is not None and data.cases is not None:
        claims = printed_claims(data.cases, summary=True)
        with_documents += claims.filter(pl.col("township").is_in(townships))["township"].n_unique()
    return (1 if township is not None else len(data.townships) + 1) + with_documents
