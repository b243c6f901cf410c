"""Probabilistic record linkage (概率匹配): the Fellegi–Sunter pass after the exact passes.

Records left over by the deterministic passes (no ID, a mangled ID, a relative's ID) are
linked here on *evidence* rather than on exact keys. `probabilistic_pass` is the one
pipeline (`matching.link` runs it); its five steps are public functions of their own
modules, re-exported here, so they can be tested and reused (the FEBRL4 benchmark reuses
the last three with its own comparisons):

1. `candidate_pairs` (`blocking`) — **blocking** in polars, a union of equi-joins (never
   a cross join): birth date; surname pinyin + birth year; whole-name pinyin + sex; for
   funeral records without a birth date, name pinyin + date of death; the first 14 ID
   characters (area + birth date) that survive in a mangled 18-character ID. A record
   with more than `MAX_CANDIDATES` candidates (a common surname in a big birth year)
   keeps the ones whose pinyin is closest (Jaro–Winkler), so the pair count is bounded by
   records × cap.
2. `compare` (`comparison`) — one **binary** (0/1 Int8) column per comparison *level*.
   Levels of one attribute are mutually exclusive (`name_exact` / `pinyin_exact` =
   homophone / `pinyin_jw` = close pinyin), so an attribute's evidence is never counted
   twice. A `_has_<attribute>` column records whether both sides carry the attribute: a
   missing value is 0 in the features and contributes *no* weight when scoring.
3. `estimate` (`estimation`) — m = P(level | match) and u = P(level | non-match)
   estimated from the night itself with recordlinkage's `ECMClassifier` (EM on the binary
   features). With too few pairs, or an EM result that does not make sense (names
   agreeing *less* often among matches), it falls back to documented generic priors
   (`PRIORS`); reviewers' decisions refine the estimate (`refine`). `Model.weights()`
   lists every level's m, u and log2(m/u) so a reviewer sees what each agreement is
   worth.
4. `score` (`scoring`) — per pair the total weight W = log2(λ/(1−λ)) + Σ attribute
   weights, in bits, and the match probability 1/(1+2^−W); an attribute contributes
   log2(m/u) of the level observed, or log2((1−Σm)/(1−Σu)) when none of its levels holds.
   `explanation` lists each attribute's contribution.
5. `resolve` (`scoring`) — one row per record. **link** only when the best candidate's
   probability reaches `link_threshold` (0.99: at most ~1 wrong link in 100 at the
   boundary) *and* it beats the runner-up by `margin` bits; by default the margin is
   log2(p/(1−p)) of the link threshold (6.6 bits), i.e. the best candidate must be ≥ 99
   times likelier than the runner-up, the same standard as the threshold itself.
   Namesakes with the same name, sex and birth date have equal weights and go to
   **review**, never link. Probability ≥ `review_threshold` (0.5: a match is more likely
   than not) → review; below → none. Neither default was tuned on generated data.

Links are one-to-one *per record* (a record links to at most one person); several records
of one source may link to the same person (monthly rows of one pensioner, say).
"""

from __future__ import annotations

from collections.abc import Callable

import polars as pl
from pensionlink.matching.blocking import MAX_CANDIDATES, candidate_pairs
from pensionlink.matching.comparison import HUKOU_GROUPS, LABELS, compare, feature_groups
from pensionlink.matching.estimation import PRIORS, Model, estimate, refine
from pensionlink.matching.scoring import resolve, score

__all__ = [
    "HUKOU_GROUPS",
    "LABELS",
    "MAX_CANDIDATES",
    "PRIORS",
    "Model",
    "Resolver",
    "candidate_pairs",
    "compare",
    "estimate",
    "feature_groups",
    "probabilistic_pass",
    "refine",
    "resolve",
    "resolve_scored",
    "score",
]


#: Scores and resolves candidate pairs: (features, model, records) → `resolve`'s frame.
Resolver = Callable[[pl.DataFrame, Model, pl.DataFrame], pl.DataFrame]


def resolve_scored(features: pl.DataFrame, model: Model, records: pl.DataFrame) -> pl.DataFrame:
    """Score every pair of `features` with `model` and resolve each record of `records`.
    Each record's decision reads only its own pairs, so records may be resolved in any
    split by `_row` and the results put together (`matching.partitioned`)."""
    return resolve(score(features, features, model), records=records)


def probabilistic_pass(
    records: pl.DataFrame,
    spine: pl.DataFrame,
    rejected: pl.DataFrame | None = None,
    reviewed: tuple[pl.DataFrame, pl.DataFrame] | None = None,
    resolver: Resolver = resolve_scored,
) -> pl.DataFrame:
    """The Fellegi–Sunter pass (the one `matching.link` runs): block, compare, estimate,
    refine, score and resolve `records` against `spine`.

    `rejected` (_row, person_id) are pairs reviewers turned down: never candidates.
    `reviewed` is (records, (_row, person_id, accepted)): reviewers' decisions, which
    refine the night's weights. Returns `resolve`'s frame, one row per record of
    `records` (by `_row`).
    """
    pairs = candidate_pairs(records, spine)
    if rejected is not None:
        pairs = pairs.join(rejected, on=["_row", "person_id"], how="anti")
    features = compare(pairs)
    model = estimate(features)
    if reviewed is not None and reviewed[1].height:
        labelled = candidate_pairs(reviewed[0], spine).join(reviewed[1], on=["_row", "person_id"])
        if labelled.height:
            levels = compare(labelled.drop("accepted")).join(
                labelled.select("_row", "person_id", "accepted"), on=["_row", "person_id"]
            )
            model = refine(
                model,
                levels.filter(pl.col("accepted")),
                levels.filter(~pl.col("accepted")),
            )
    return resolver(features, model, records)
