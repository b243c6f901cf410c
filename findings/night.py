"""All findings of one night (核查结果), as frames named like the warehouse tables."""

from __future__ import annotations

import datetime as dt
import logging

import polars as pl

from findings.coverage import coverage_by_area
from findings.deaths import deaths_to_deregister
from findings.duplicate_enrollment import duplicate_enrollment
from findings.funeral_benefits import duplicate_funeral_benefits
from findings.uninsured import uninsured_eligible
from pensionlink.settings import Policy

__all__ = ["night_findings"]

log = logging.getLogger("pensionlink.findings")


def night_findings(
    linked: dict[str, pl.DataFrame], as_of: dt.date, policy: Policy
) -> dict[str, pl.DataFrame]:
    """Run every rule over the night's linked sources."""
    tables = {
        "deaths_to_deregister": deaths_to_deregister(linked, as_of, policy),
        "uninsured_eligible": uninsured_eligible(linked, as_of, policy),
        "coverage_by_area": coverage_by_area(linked, as_of, policy),
        "duplicate_funeral_benefits": duplicate_funeral_benefits(linked),
        "duplicate_enrollment": duplicate_enrollment(linked),
    }
    for name, frame in tables.items():
        log.info("%s: %d rows", name, frame.height)
    return tables
