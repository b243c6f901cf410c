"""Clerical review (人工复核): the matcher's doubts, and the decisions that settle them.

A record the probabilistic pass cannot decide goes to the queue with its best candidate.
A reviewer's decision is stored with the record's *fingerprint* — a hash of the record
as delivered — so it is applied on every later night while the record is unchanged, and
silently dropped once the agency changes the record (the decision was about other data).
"""

from __future__ import annotations

import hashlib

import polars as pl

from pensionlink.vocabulary import DERIVED_COLUMNS

__all__ = ["DECISION_SCHEMA", "apply_decisions", "record_keys", "review_id"]

DECISION_SCHEMA = {
    "source": pl.String,
    "record_key": pl.String,
    "person_id": pl.String,
    "decision": pl.String,
}
# Columns the connectors add; the fingerprint covers only what the agency delivered.


def record_keys(frame: pl.DataFrame, source: str) -> pl.Series:
    """A stable fingerprint per row: SHA-1 of the source name and the delivered values."""
    columns = [c for c in frame.columns if c not in DERIVED_COLUMNS and not c.startswith("_")]
    text = frame.select(
        pl.concat_str(
            [pl.lit(source), *(pl.col(c).cast(pl.String).fill_null("∅") for c in columns)],
            separator="\x1f",
        )
    ).to_series()
    return pl.Series(
        "record_key", [hashlib.sha1(t.encode("utf-8")).hexdigest() for t in text], pl.String
    )


def review_id(source: str, record_key: str, person_id: str | None) -> str:
    """Stable id of one review item: the same record and candidate give the same id."""
    raw = f"{source}\x1f{record_key}\x1f{person_id or ''}".encode()
    return hashlib.sha1(raw).hexdigest()[:12]


def apply_decisions(
    records: pl.DataFrame, source: str, decisions: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Split `records` (with `_row`, `record_key`) by the reviewers' decisions.

    Returns the links decided by reviewers (`_row`, person_id, link_method='reviewer',
    link_note) and the rejected (`_row`, person_id) pairs the matcher must not propose
    again. The latest decision on a (record, person) pair wins.
    """
    mine = (
        decisions.filter(pl.col("source") == source)
        .unique(["record_key", "person_id"], keep="last", maintain_order=True)
        .join(records.select("_row", "record_key"), on="record_key")
    )
    accepted = mine.filter(pl.col("decision") == "accept").unique("_row", keep="last")
    links = accepted.select(
        "_row",
        "person_id",
        link_method=pl.lit("reviewer"),
        link_note=pl.lit("人工复核确认为同一人"),
    )
    rejected = mine.filter(pl.col("decision") == "reject").select("_row", "person_id")
    return links, rejected
