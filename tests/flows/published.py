"""What a published night shows the bureau and the analysts, to compare nights by."""

from __future__ import annotations

from pathlib import Path

from pensionlink.warehouse.store import connect_database

#: The finding tables of a night (source_quality differs by design: it says what stood in).
PUBLISHED = (
    "deaths_to_deregister",
    "uninsured_eligible",
    "duplicate_funeral_benefits",
    "coverage_by_area",
    "duplicate_enrollment",
)


def published(db: Path) -> dict[str, list]:
    """Every finding row of the latest night, without the run that made it."""
    with connect_database(db) as con:
        return {
            t: con.execute(f"SELECT * EXCLUDE (run_id) FROM {t} ORDER BY ALL").fetchall()
            for t in PUBLISHED
        }
