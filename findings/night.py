"""All findings of one night (核查结果), as frames named like the warehouse tables."""

from __future__ import annotations

import datetime as dt
import logging

import polars as pl
from pensionlink.findings.agency_disagreements import agency_disagreements
from pensionlink.findings.coverage import coverage_by_area
from pensionlink.findings.death_evidence import death_evidence
from pensionlink.findings.deaths import deaths_to_deregister
from pensionlink.findings.duplicate_enrollment import duplicate_enrollment
from pensionlink.findings.funeral_benefits import duplicate_funeral_benefits
from pensionlink.findings.residents import residents_16_plus
from pensionlink.findings.status_history import history_problems
from pensionlink.findings.uninsured import uninsured_eligible

from pensionlink.settings import Policy

__all__ = ["night_findings"]

log = logging.getLogger("pensionlink.findings")


def night_findings(
    linked: dict[str, pl.DataFrame], as_of: dt.date, policy: Policy
) -> dict[str, pl.DataFrame]:
    """Run every rule over the night's linked sources; death evidence (every agency's
    reports and 社保局's own terminations for death), the status histories that do not
    hold together and the resident population are computed once and shared by the rules
    that need them."""
    evidence = death_evidence(linked)
    problems = history_problems(linked["resident_roster"], linked["status_changes"])
    residents = residents_16_plus(linked, as_of, policy.enrollment_min_age, evidence)
    tables = {
        "deaths_to_deregister": deaths_to_deregister(linked, as_of, policy, evidence, problems),
        "uninsured_eligible": uninsured_eligible(linked, as_of, policy, residents),
        "coverage_by_area": coverage_by_area(linked, as_of, policy, residents),
        "duplicate_funeral_benefits": duplicate_funeral_benefits(linked, evidence, problems),
        "duplicate_enrollment": duplicate_enrollment(linked),
        "agency_disagreements": agency_disagreements(linked, evidence, policy),
    }
    for name, frame in tables.items():
        log.info("%s: %d rows", name, frame.height)
    return tables
