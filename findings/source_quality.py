"""Source quality (数据质量): per agency and night, how well each extract serves the match.

The plan asks each agency to provide its data (annex 1, 二.5-10); this is how the bureau
sees whether it does: rows read and rejected, IDs valid / repaired (15→18, full-width,
lower-case x, spaces) / invalid / mangled / empty, rows linked to a person and rows left
unlinked, and — when the expectation suites ran — how many expectations failed. For
社保局's status changes, how many people's status history contradicts itself
(`findings.status_history`): their status at death cannot be read.
"""

from __future__ import annotations

import polars as pl
from pensionlink.connectors import load_specs
from pensionlink.findings.status_history import history_problems

__all__ = ["source_quality"]

ID_STATUSES = ("valid", "repaired", "invalid", "mangled", "empty")
COLUMNS = {
    "source": pl.String,
    "agency": pl.String,
    "title": pl.String,
    "file": pl.String,
    "stale": pl.Boolean,
    "note": pl.String,
    "rows_read": pl.Int64,
    "rows_rejected": pl.Int64,
    **{f"ids_{s}": pl.Int64 for s in ID_STATUSES},
    "rows_linked": pl.Int64,
    "rows_unlinked": pl.Int64,
    "expectations": pl.Int64,
    "expectations_failed": pl.Int64,
    "expectation_failures": pl.List(pl.String),
    "inconsistent_histories": pl.Int64,
}
_LATER = ("expectations", "expectations_failed", "expectation_failures", "inconsistent_histories")


def _counts(frame: pl.DataFrame) -> dict[str, int | None]:
    if "id_status" not in frame.columns:
        return {f"ids_{s}": None for s in ID_STATUSES} | {
            "rows_linked": None,
            "rows_unlinked": None,
        }
    statuses = dict(frame.group_by("id_status").len().iter_rows())
    linked = frame["person_id"].is_not_null().sum() if "person_id" in frame.columns else None
    return {f"ids_{s}": statuses.get(s, 0) for s in ID_STATUSES} | {
        "rows_linked": linked,
        "rows_unlinked": None if linked is None else frame.height - linked,
    }


def source_quality(
    sources: list[dict],
    linked: dict[str, pl.DataFrame],
    validation: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """One row per source: the night's run-record entry, ID and link counts, expectations.

    `sources` are the connectors' run-record entries; `validation` (optional) has source,
    expectations, failed, failures as `expectations.validate_night` returns them.
    """
    specs = load_specs()
    rows = []
    for entry in sources:
        spec = specs[entry["source"]]
        rows.append(
            {
                "source": entry["source"],
                "agency": spec.agency,
                "title": spec.title,
                "file": entry["file"],
                "stale": entry["stale"],
                "note": entry["note"],
                "rows_read": entry["rows_read"],
                "rows_rejected": entry["rows_rejected"],
                **_counts(linked.get(entry["source"], pl.DataFrame())),
            }
        )
    quality = pl.DataFrame(rows, schema={k: v for k, v in COLUMNS.items() if k not in _LATER})
    if validation is None:
        validation = pl.DataFrame(
            schema={
                "source": pl.String,
                "expectations": pl.Int64,
                "failed": pl.Int64,
                "failures": pl.List(pl.String),
            }
        )
    checked = validation.select(
        "source",
        pl.col("expectations").cast(pl.Int64),
        expectations_failed=pl.col("failed").cast(pl.Int64),
        expectation_failures=pl.col("failures"),
    )
    return (
        quality.join(checked, on="source", how="left")
        .with_columns(
            inconsistent_histories=pl.when(pl.col("source") == "status_changes").then(
                pl.lit(_inconsistent_histories(linked), pl.Int64)
            )
        )
        .select(list(COLUMNS))
        .cast(COLUMNS)
    )


def _inconsistent_histories(linked: dict[str, pl.DataFrame]) -> int | None:
    """How many pension numbers' status histories do not hold together tonight."""
    if "status_changes" not in linked or "resident_roster" not in linked:
        return None
    return history_problems(linked["resident_roster"], linked["status_changes"]).height
