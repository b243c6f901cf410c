"""Blocking (分块) of the Fellegi–Sunter pass: candidate pairs of leftover records and
hukou persons as a union of polars equi-joins (never a cross join), capped per record at
`MAX_CANDIDATES` by pinyin closeness (Jaro–Winkler). See `matching.probabilistic`.
"""

from __future__ import annotations

import numpy as np
import polars as pl
from rapidfuzz import process
from rapidfuzz.distance import JaroWinkler

__all__ = ["MAX_CANDIDATES", "candidate_pairs", "jaro_winkler"]

MAX_CANDIDATES = 200

_SPINE_OPTIONAL = ("sex", "birth_date", "death_date", "township", "village")


def jaro_winkler(left: pl.Series, right: pl.Series) -> np.ndarray:
    """Jaro–Winkler similarity of each pair of pinyin keys (nulls as "")."""
    if left.len() == 0:
        return np.zeros(0)
    return process.cpdist(
        left.fill_null("").to_list(),
        right.fill_null("").to_list(),
        scorer=JaroWinkler.similarity,
        workers=1,
    )


def candidate_pairs(
    records: pl.DataFrame, spine: pl.DataFrame, cap: int = MAX_CANDIDATES
) -> pl.DataFrame:
    """Blocked candidate pairs: the record's columns plus the spine's with suffix `_h`.

    Union of equi-join rules (see module docstring); pairs per record capped at `cap`,
    keeping the closest pinyin (then characters) when a record has more.
    """
    surname = pl.col("pinyin_key").str.split(" ").list.first()
    rec = records.with_columns(_surname=surname)
    sp = spine.with_columns(_surname=surname)
    if "birth_date" in rec.columns:
        rec = rec.with_columns(_byear=pl.col("birth_date").dt.year())
    if "birth_date" in sp.columns:
        sp = sp.with_columns(_byear=pl.col("birth_date").dt.year())

    def block(keys: list[str], rec_filter: pl.Expr | None = None) -> pl.DataFrame | None:
        if not all(k in rec.columns and k in sp.columns for k in keys):
            return None
        left = rec.filter(pl.all_horizontal(pl.col(k).is_not_null() for k in keys))
        if rec_filter is not None:
            left = left.filter(rec_filter)
        right = sp.filter(pl.all_horizontal(pl.col(k).is_not_null() for k in keys))
        return left.select("_row", *keys).join(right.select("person_id", *keys), on=keys)

    blocks = [
        block(["birth_date"]),
        block(["_surname", "_byear"]),
        block(["pinyin_key", "sex"]),
        # sources that carry neither sex nor birth date (assistance, poverty): name + place
        block(["pinyin_key", "township"]),
    ]
    if "death_date" in rec.columns:
        no_birth = pl.col("birth_date").is_null() if "birth_date" in rec.columns else pl.lit(True)
        blocks.append(block(["pinyin_key", "death_date"], no_birth))
    if "id_clean" in rec.columns:
        rec = rec.with_columns(
            _id14=pl.when(pl.col("id_clean").str.len_chars() == 18).then(
                pl.col("id_clean").str.slice(0, 14)
            )
        )
        sp = sp.with_columns(_id14=pl.col("person_id").str.slice(0, 14))
        blocks.append(block(["_id14"]))
    found = [b.select("_row", "person_id") for b in blocks if b is not None]
    pair_schema = {"_row": pl.UInt32, "person_id": pl.String}
    ids = pl.concat([pl.DataFrame(schema=pair_schema), *found], how="vertical_relaxed")
    ids = ids.unique(maintain_order=True)

    keep = [
        c
        for c in ("_row", "name_key", "pinyin_key", *_SPINE_OPTIONAL, "id_clean")
        if c in records.columns
    ]
    sp_keep = ["person_id", "name_key", "pinyin_key"] + [
        c for c in _SPINE_OPTIONAL if c in spine.columns
    ]
    pairs = ids.join(records.select(keep), on="_row").join(
        spine.select(sp_keep).rename(lambda c: c if c == "person_id" else f"{c}_h"),
        on="person_id",
    )
    pairs = pairs.with_columns(
        _name_sim=pl.Series(
            jaro_winkler(pairs["pinyin_key"], pairs["pinyin_key_h"]), dtype=pl.Float64
        ),
        _same_chars=(pl.col("name_key") == pl.col("name_key_h")).fill_null(False),
    )
    counts = pairs.group_by("_row").len()
    crowded = counts.filter(pl.col("len") > cap)["_row"]
    if crowded.len():
        busy = pairs.filter(pl.col("_row").is_in(crowded.implode()))
        busy = (
            busy.sort(
                ["_row", "_same_chars", "_name_sim", "person_id"],
                descending=[False, True, True, False],
            )
            .group_by("_row", maintain_order=True)
            .head(cap)
        )
        pairs = pl.concat([pairs.filter(~pl.col("_row").is_in(crowded.implode())), busy])
    return pairs.sort("_row", "person_id")
