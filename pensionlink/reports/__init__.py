"""The bureau's reports: a spreadsheet per township and one HTML summary (报表)."""

from pensionlink.reports.data import NothingPublished, ReportData, load_report_data
from pensionlink.reports.write import ReportFiles, UnknownTownship, report_steps, write_reports

__all__ = [
    "NothingPublished",
    "ReportData",
    "ReportFiles",
    "UnknownTownship",
    "load_report_data",
    "report_steps",
    "write_reports",
]
