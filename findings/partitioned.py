"""The findings in partitions (分区核查), identical to `night_findings` in one process.

Every rule reads one person at a time, through three keys: the person (`person_id`), a
normalised citizen ID (a roster row counts as insurance by its own ID too) and the
pension number (status changes, payments and resident funeral subsidies are keyed by it).
So the night is cut along those keys:

- `person_groups` joins every key a row carries into one group (union–find by
  label propagation: a roster row ties its person, its ID and its pension number; a
  subsidy its pension number to the person it names), and a group's part is the hash of
  its smallest key; every row of every frame goes to the part of its keys' group, so all
  that one rule ever joins for a person lies in one part;
- health visits that could not be linked to anyone (a same-named visit after a death
  sends the death to review, whoever's it is) go to every part; rows with no key at all
  to part 0; the rejected rows are attributed to their person first (a mistyped ID is
  repaired against the whole hukou, as in one process).

Each part runs `night_findings` itself; `combine` puts the tables together: rows
concatenated and sorted by each rule's `ORDER`, coverage by township and village summed
over the parts (its rate computed again from the sums, by `coverage_rate`).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
from pensionlink.findings.agency_disagreements import ORDER as DISAGREEMENT_ORDER
from pensionlink.findings.coverage import ORDER as COVERAGE_ORDER
from pensionlink.findings.coverage import coverage_rate
from pensionlink.findings.deaths import ORDER as DEATH_ORDER
from pensionlink.findings.duplicate_enrollment import ORDER as ENROLLMENT_ORDER
from pensionlink.findings.funeral_benefits import ORDER as FUNERAL_ORDER
from pensionlink.findings.night import night_findings
from pensionlink.findings.uninsured import ORDER as UNINSURED_ORDER
from pensionlink.findings.withheld import WITHHELD, attributed_withheld
from pensionlink.matching.partitioned import Run, hash_part, in_turn, split

from pensionlink.settings import Policy

__all__ = [
    "KEYS",
    "combine",
    "night_findings_partitioned",
    "person_groups",
    "split_night",
]

#: The columns that tie a row to a person.
KEYS = ("person_id", "citizen_id", "pension_no")
#: Frames whose rows without a person go to every part (read against every death).
TO_EVERY_PART = ("visits",)

_ORDERS = {
    "deaths_to_deregister": (DEATH_ORDER, True),
    "uninsured_eligible": (UNINSURED_ORDER, False),
    "duplicate_funeral_benefits": (FUNERAL_ORDER, False),
    "duplicate_enrollment": (ENROLLMENT_ORDER, False),
    "agency_disagreements": (DISAGREEMENT_ORDER, True),
}


def _key_columns(frame: pl.DataFrame) -> list[str]:
    return [c for c in KEYS if c in frame.columns]


def _row_key(frame: pl.DataFrame) -> pl.Expr:
    columns = _key_columns(frame)
    return pl.coalesce(columns) if columns else pl.lit(None, pl.String)


def person_groups(frames: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """Every key (a citizen ID or a pension number) with its group: the smallest key of
    all the keys it shares a row with, directly or through others.

    (An ID and a pension number that happened to be equal would join two groups: more in
    one part, never a person split.)"""
    values, edges = [], []
    for frame in frames.values():
        columns = _key_columns(frame)
        values.extend(frame[c].drop_nulls().unique() for c in columns)
        first = pl.coalesce(columns) if columns else None
        edges.extend(  # only rows with two keys tie anything together
            frame.select(a=first, b=c).filter(
                pl.col("b").is_not_null() & (pl.col("a") != pl.col("b"))
            )
            for c in columns[1:]
        )
    if not values:
        return pl.DataFrame(schema={"key": pl.String, "group": pl.String})
    keys = pl.concat([v.rename("key").cast(pl.String) for v in values]).unique().sort()
    index = pl.DataFrame({"key": keys}).with_row_index("_n")
    pairs = pl.concat([pl.DataFrame(schema={"a": pl.String, "b": pl.String}), *edges]).unique()
    numbered = pairs.join(index, left_on="a", right_on="key").join(
        index, left_on="b", right_on="key", suffix="_b"
    )
    root = _smallest_reachable(len(keys), numbered["_n"].to_numpy(), numbered["_n_b"].to_numpy())
    return pl.DataFrame({"key": keys, "group": keys.gather(root)})


def _smallest_reachable(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """For each of `n` nodes joined by edges a–b, the smallest node of its component:
    labels only fall (each edge takes the smaller of its two ends), and pointer jumping
    (label of the label) shortens chains, until every edge's ends agree."""
    label = np.arange(n, dtype=np.int64)
    while True:
        low = np.minimum(label[a], label[b])
        np.minimum.at(label, a, low)
        np.minimum.at(label, b, low)
        label = label[label]
        if np.array_equal(label[a], label[b]) and np.array_equal(label, label[label]):
            return label


def split_night(linked: dict[str, pl.DataFrame], parts: int) -> list[dict[str, pl.DataFrame]]:
    """The night's linked frames in `parts` parts, cut along `person_groups`; each part
    keeps every frame's rows in their order."""
    linked = dict(linked)
    if linked.get(WITHHELD) is not None:
        attributed = attributed_withheld(linked)
        linked[WITHHELD] = attributed if attributed is not None else linked[WITHHELD].clear()
    groups = person_groups(linked).select("key", _part=hash_part(pl.col("group"), parts))
    out: list[dict[str, pl.DataFrame]] = [{} for _ in range(parts)]
    for name, frame in linked.items():
        if frame is None:
            for piece in out:
                piece[name] = None
            continue
        everywhere = pl.lit(False)
        if name in TO_EVERY_PART and "person_id" in frame.columns:
            everywhere = pl.col("person_id").is_null()
        tagged = (
            frame.with_columns(_key=_row_key(frame), _every=everywhere)
            .join(groups, left_on="_key", right_on="key", how="left", maintain_order="left")
            .with_columns(pl.col("_part").fill_null(0))
        )
        shared = tagged.filter(pl.col("_every")).drop("_key", "_every", "_part")
        own = split(tagged.filter(~pl.col("_every")).drop("_key", "_every"), pl.col("_part"), parts)
        for k in range(parts):
            piece = own[k].drop("_part")
            out[k][name] = pl.concat([piece, shared]) if shared.height else piece
    return out


def combine(tables: list[dict[str, pl.DataFrame]]) -> dict[str, pl.DataFrame]:
    """The parts' findings as one night's: rows in each rule's order, coverage summed."""
    out = {}
    for name in tables[0]:
        frames = [t[name] for t in tables]
        if name == "coverage_by_area":
            out[name] = _coverage(frames)
            continue
        order, nulls_last = _ORDERS[name]
        out[name] = pl.concat(frames, how="vertical_relaxed").sort(
            order, nulls_last=nulls_last, maintain_order=True
        )
    return out


def _coverage(frames: list[pl.DataFrame]) -> pl.DataFrame:
    counts = ("residents_16_plus", "insured", "uninsured_eligible")
    schema = frames[0].schema
    return (
        pl.concat(frames, how="vertical_relaxed")
        .group_by("township", "village")
        .agg(pl.col(c).sum() for c in counts)
        .with_columns(coverage_rate=coverage_rate())
        .select(schema.names())
        .cast(schema)
        .sort(COVERAGE_ORDER, nulls_last=True)
    )


def night_findings_partitioned(
    linked: dict[str, pl.DataFrame],
    as_of: dt.date,
    policy: Policy,
    parts: int = 4,
    run: Run = in_turn,
) -> dict[str, pl.DataFrame]:
    """`night_findings`, identical tables, computed in `parts` parts (`run` runs them)."""
    if parts < 1:
        raise ValueError("parts must be at least 1")
    pieces = split_night(linked, parts)
    return combine(run(night_findings, [(piece, as_of, policy) for piece in pieces]))
