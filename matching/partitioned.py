"""Linkage in partitions (分区比对), for a night too big for one machine.

The same decisions as `link_night`, computed in parts that can run on other machines
(`pensionlink run --dask`, one Prefect task per part) and put together exactly:

1. **By citizen ID** (`link_partition`, one per part): every record whose normalised
   citizen ID hashes to part *k* (records without one by their row number), and the hukou
   rows whose ID hashes to *k*; a part computes its records' name keys, its share of the
   spine (with its name keys) and the ID pass, which joins only equal IDs, so no link is
   missed across parts.
2. **The residual** (here, over the whole spine): what the ID pass left — mistyped IDs,
   reviewers' decisions, unique attributes, and the Fellegi–Sunter candidate pairs with
   m and u estimated once from all of them (EM reads every pair, as in one process).
3. **Scoring by record** (`score_partition`, one per part): the candidate pairs split by
   the hash of their record, so each record's candidates all land in one part (no pair
   is split from its runner-up); each part scores with the one model and resolves its
   records; the parts are put back in record order.

Parts are put together sorted by their original row order (records by `_row`, the spine
by its first hukou row), so every tie-break downstream sees the frames it sees in one
process. `run` says how the parts run: `in_turn` here, Prefect tasks on a Dask cluster in
the flow (`flows.cluster`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import polars as pl
from pensionlink.matching.estimation import Model
from pensionlink.matching.link import (
    build_spine,
    id_pass,
    link_sources,
    resolve_rest,
    with_name_keys,
)
from pensionlink.matching.probabilistic import Resolver, resolve_scored

__all__ = [
    "PARTITION_SEED",
    "Run",
    "hash_part",
    "in_turn",
    "link_night_partitioned",
    "link_partition",
    "score_partition",
    "split",
]

#: Seed of the partition hash (polars' hash; parts are assigned in the driver, so workers
#: never need to agree on it).
PARTITION_SEED = 222405

#: Runs `fn` once per argument tuple and returns the results in the same order.
Run = Callable[[Callable[..., Any], Sequence[tuple]], list]


def in_turn(fn: Callable[..., Any], calls: Sequence[tuple]) -> list:
    """Each part in this process, one after the other."""
    return [fn(*args) for args in calls]


def hash_part(key: pl.Expr, parts: int) -> pl.Expr:
    """The part (0 … parts−1) of each value of `key` (a hash, so parts are even)."""
    return (key.hash(seed=PARTITION_SEED) % parts).cast(pl.UInt32)


def split(frame: pl.DataFrame, part: pl.Expr, parts: int) -> list[pl.DataFrame]:
    """`frame` in `parts` pieces by the part each row's `part` gives, each in the frame's
    order; a part without rows is an empty frame of the same schema."""
    tagged = frame.with_columns(_split_part=part)
    pieces = tagged.partition_by(
        "_split_part", as_dict=True, maintain_order=True, include_key=False
    )
    empty = frame.clear()
    return [pieces.get((k,), empty) for k in range(parts)]


def _record_part(parts: int) -> pl.Expr:
    by_id = hash_part(pl.col("citizen_id"), parts)
    return (
        pl.when(pl.col("citizen_id").is_not_null())
        .then(by_id)
        .otherwise((pl.col("_row") % parts).cast(pl.UInt32))
    )


def link_partition(
    records: dict[str, pl.DataFrame], hukou: pl.DataFrame
) -> tuple[pl.DataFrame, dict[str, tuple[pl.DataFrame, pl.DataFrame]]]:
    """One part's first step: its spine (with `_order`, its hukou rows' first place) and,
    per source, its records with name keys and their ID-pass links.

    `records` are one part of each source, numbered by `_row` over the whole source;
    `hukou` the hukou rows of the same part, numbered by `_hukou_row`."""
    firsts = hukou.filter(pl.col("citizen_id").is_not_null()).unique(
        "citizen_id", keep="first", maintain_order=True
    )
    spine = build_spine(hukou.drop("_hukou_row")).with_columns(_order=firsts["_hukou_row"])
    out = {}
    for source, numbered in records.items():
        work = with_name_keys(numbered)
        out[source] = (work, id_pass(work, spine.drop("_order")))
    return spine, out


def score_partition(features: pl.DataFrame, model: Model, records: pl.DataFrame) -> pl.DataFrame:
    """One part's scoring: `resolve_scored` over its records' candidate pairs."""
    return resolve_scored(features, model, records)


def partitioned_resolver(parts: int, run: Run) -> Resolver:
    """A resolver that scores the candidate pairs in `parts` parts by record."""

    def resolver(features: pl.DataFrame, model: Model, records: pl.DataFrame) -> pl.DataFrame:
        part = hash_part(pl.col("_row"), parts)
        calls = list(
            zip(
                split(features, part, parts),
                [model] * parts,
                split(records, part, parts),
                strict=True,
            )
        )
        calls = [c for c in calls if c[2].height]  # a part with no record has nothing to do
        if not calls:
            return resolve_scored(features, model, records)
        return pl.concat(run(score_partition, calls)).sort("_row")

    return resolver


def link_night_partitioned(
    frames: dict[str, pl.DataFrame],
    decisions: pl.DataFrame | None = None,
    parts: int = 4,
    run: Run = in_turn,
) -> tuple[dict[str, pl.DataFrame], pl.DataFrame, pl.DataFrame]:
    """`link_night`, identical results, with the per-record work in `parts` parts."""
    if parts < 1:
        raise ValueError("parts must be at least 1")
    sources = [s for s, f in frames.items() if s != "hukou" and "citizen_id" in f.columns]
    numbered = {s: frames[s].with_row_index("_row") for s in sources}
    by_source = {s: split(f, _record_part(parts), parts) for s, f in numbered.items()}
    hukou = frames["hukou"].with_row_index("_hukou_row")
    hukou_parts = split(hukou, hash_part(pl.col("citizen_id"), parts), parts)
    results = run(
        link_partition,
        [({s: by_source[s][k] for s in sources}, hukou_parts[k]) for k in range(parts)],
    )
    spine = pl.concat([spine for spine, _ in results]).sort("_order").drop("_order")
    works = {s: pl.concat([r[s][0] for _, r in results]).sort("_row") for s in sources}
    by_ids = {s: pl.concat([r[s][1] for _, r in results]).sort("_row") for s in sources}
    resolver = partitioned_resolver(parts, run)
    return link_sources(
        frames,
        lambda source, frame: resolve_rest(
            frame, works[source], by_ids[source], spine, source, decisions, resolver
        ),
    )
