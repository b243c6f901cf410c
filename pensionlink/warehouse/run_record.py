"""The `runs` record of a night and the short summary printed at the end (运行记录)."""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import socket

import polars as pl

from pensionlink.settings import Settings
from pensionlink.warehouse.tables import table_schema

__all__ = [
    "inputs_fingerprint",
    "run_frame",
    "run_id",
    "summarise",
]


def inputs_fingerprint(settings: Settings, night, decisions: pl.DataFrame) -> str:
    """What a night's results depend on: the as-of date, each source's file checksum
    (and whether a snapshot stood in), the policy in force and the reviewers' decisions.
    Two runs with the same fingerprint give the same findings."""
    digest = hashlib.sha256()
    digest.update(settings.as_of.isoformat().encode())
    for s in sorted(night.sources, key=lambda s: s["source"]):
        digest.update(f"|{s['source']}:{s.get('checksum')}:{s.get('stale')}".encode())
    digest.update(repr(settings.policy).encode())
    digest.update(decisions.sort(decisions.columns).write_csv().encode())
    return digest.hexdigest()


def run_frame(
    settings: Settings,
    night,
    started: dt.datetime,
    stages: list[tuple[str, float]],
    inputs: str | None = None,
    status: str = "published",
    error: str | None = None,
) -> pl.DataFrame:
    """One `runs` row: when, for which date, and what each source delivered (`night` is
    None for a run that failed before reading everything)."""
    schema = table_schema("runs")  # sql/runs.sql
    source_fields = schema["sources"].inner.to_schema()
    held_fields = schema["held"].inner.to_schema()  # what `pensionlink accept` takes
    sources = [{k: s.get(k) for k in source_fields} for s in night.sources] if night else []
    return pl.DataFrame(
        {
            "run_id": [run_id(settings, started)],
            "started_at": [started],
            "finished_at": [dt.datetime.now()],
            "as_of": [settings.as_of],
            "status": [status],
            "extracts": [str(settings.extracts)],
            "sources": [sources],
            "stages": [[{"stage": n, "seconds": round(s, 3)} for n, s in stages]],
            "inputs": [inputs],
            "error": [error],
            "run_by": [_operator()],
            "held": [[{k: h.get(k) for k in held_fields} for h in night.held] if night else []],
        },
        schema=schema,
    )


def run_id(settings: Settings, started: dt.datetime) -> str:
    """A run's id: when it started and the night it is for (known before it publishes)."""
    return started.strftime("%Y%m%dT%H%M%S") + f"-{settings.as_of:%Y%m%d}"


def summarise(run: pl.DataFrame, tables: dict[str, pl.DataFrame]) -> dict:
    """Counts for the console: no names, no IDs."""
    deaths = tables["deaths_to_deregister"]
    uninsured = tables["uninsured_eligible"]
    funeral = tables["duplicate_funeral_benefits"]
    sources = run["sources"][0].to_list()
    return {
        "run_id": run["run_id"][0],
        "as_of": run["as_of"][0],
        "started_at": run["started_at"][0],
        "deaths": deaths.height,
        "deaths_confirmed": deaths.filter(pl.col("decision") == "confirmed").height,
        "deaths_review": deaths.filter(pl.col("decision") == "review").height,
        "uninsured": uninsured.height,
        "uninsured_by_category": dict(
            uninsured.group_by("category").len().sort("category").iter_rows()
        ),
        "funeral_findings": funeral.height,
        "funeral_to_recover": str(funeral["amount_to_recover"].sum()) if funeral.height else "0",
        "duplicate_enrollment": tables["duplicate_enrollment"].height,
        "agency_disagreements": tables["agency_disagreements"].height
        if "agency_disagreements" in tables
        else 0,
        "rows_rejected": sum(s["rows_rejected"] or 0 for s in sources),
        "stale_sources": [s["source"] for s in sources if s["stale"]],
        "not_read": [
            {"source": s["source"], "note": s["note"], "stale": s["stale"]}
            for s in sources
            if s["stale"] or (s["file"] is None and s["note"])
        ],
        "stages": {x["stage"]: x["seconds"] for x in run["stages"][0].to_list()},
    }


def _operator() -> str:
    """Who ran it, for the audit: the account and the machine."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"{user}@{socket.gethostname()}"
