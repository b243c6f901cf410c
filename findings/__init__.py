"""The bureau's findings (核查规则): pure functions over the night's linked frames."""

from pensionlink.findings.agency_disagreements import agency_disagreements
from pensionlink.findings.coverage import coverage_by_area
from pensionlink.findings.custody import in_custody_on
from pensionlink.findings.death_evidence import death_reports, summarise_evidence
from pensionlink.findings.deaths import deaths_to_deregister
from pensionlink.findings.duplicate_enrollment import duplicate_enrollment
from pensionlink.findings.funeral_benefits import duplicate_funeral_benefits
from pensionlink.findings.night import night_findings
from pensionlink.findings.settlement import settle_deceased
from pensionlink.findings.source_quality import source_quality
from pensionlink.findings.status_at_death import status_on
from pensionlink.findings.status_history import history_problems
from pensionlink.findings.uninsured import uninsured_eligible

__all__ = [
    "agency_disagreements",
    "coverage_by_area",
    "death_reports",
    "deaths_to_deregister",
    "duplicate_enrollment",
    "duplicate_funeral_benefits",
    "history_problems",
    "in_custody_on",
    "night_findings",
    "settle_deceased",
    "source_quality",
    "status_on",
    "summarise_evidence",
    "uninsured_eligible",
]
