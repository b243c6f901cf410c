"""The bureau's findings (核查规则): pure functions over the night's linked frames."""

from findings.agency_disagreements import agency_disagreements
from findings.coverage import coverage_by_area
from findings.custody import in_custody_on
from findings.death_evidence import death_reports, summarise_evidence
from findings.deaths import deaths_to_deregister
from findings.duplicate_enrollment import duplicate_enrollment
from findings.funeral_benefits import duplicate_funeral_benefits
from findings.night import night_findings
from findings.settlement import settle_deceased
from findings.source_quality import source_quality
from findings.status_at_death import status_on
from findings.status_history import history_problems
from findings.uninsured import uninsured_eligible

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
