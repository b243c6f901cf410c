"""Probabilistic record linkage (概率匹配): the Fellegi–Sunter pass after the exact passes.

Records left over by the deterministic passes (no ID, a mangled ID, a relative's ID) are
linked here on *evidence* rather than on exact keys. The pass has five steps, each a
public function so it can be tested and reused (the FEBRL4 benchmark reuses the last
three with its own comparisons):

1. `candidate_pairs` — **blocking** in polars, a union of equi-joins (never a cross join):
   birth date; surname pinyin + birth year; whole-name pinyin + sex; for funeral records
   without a birth date, name pinyin + date of death; the first 14 ID characters (area +
   birth date) that survive in a mangled 18-character ID. A record with more than
   `MAX_CANDIDATES` candidates (a common surname in a big birth year) keeps the ones whose
   pinyin is closest (Jaro–Winkler), so the pair count is bounded by records × cap.
2. `compare` — one **binary** (0/1 Int8) column per comparison *level*. Levels of one
   attribute are mutually exclusive (`name_exact` / `pinyin_exact` = homophone /
   `pinyin_jw` = close pinyin), so an attribute's evidence is never counted twice. A
   `_has_<attribute>` column records whether both sides carry the attribute: a missing
   value is 0 in the features and contributes *no* weight when scoring.
3. `estimate` — m = P(level | match) and u = P(level | non-match) estimated from the night
   itself with recordlinkage's `ECMClassifier` (EM on the binary features). With too few
   pairs, or an EM result that does not make sense (names agreeing *less* often among
   matches), it falls back to documented generic priors (`PRIORS`); reviewers' decisions
   refine the estimate (`refine`). `Model.weights()` lists every level's m, u and
   log2(m/u) so a reviewer sees what each agreement is worth.
4. `score` — per pair the total weight W = log2(λ/(1−λ)) + Σ attribute weights, in bits,
   and the match probability 1/(1+2^−W); an attribute contributes log2(m/u) of the level
   observed, or log2((1−Σm)/(1−Σu)) when none of its levels holds. `explanation` lists
   each attribute's contribution.
5. `resolve` — one row per record. **link** only when the best candidate's probability
   reaches `link_threshold` (0.99: at most ~1 wrong link in 100 at the boundary) *and* it
   beats the runner-up by `margin` bits; by default the margin is log2(p/(1−p)) of the
   link threshold (6.6 bits), i.e. the best candidate must be ≥ 99 times likelier than
   the runner-up, the same standard as the threshold itself. Namesakes with the same
   name, sex and birth date have equal weights and go to **review**, never link.
   Probability ≥ `review_threshold` (0.5: a match is more likely than not) → review;
   below → none. Neither default was tuned on generated data.

Links are one-to-one *per record* (a record links to at most one person); several records
of one source may link to the same person (monthly rows of one pensioner, say).
"""

from __future__ import annotations

import contextlib
import logging
import math
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import polars as pl
from rapidfuzz import process
from rapidfuzz.distance import JaroWinkler

__all__ = [
    "HUKOU_GROUPS",
    "LABELS",
    "MAX_CANDIDATES",
    "PRIORS",
    "Model",
    "candidate_pairs",
    "compare",
    "estimate",
    "feature_groups",
    "probabilistic_pass",
    "refine",
    "resolve",
    "score",
]

MAX_CANDIDATES = 200
JW_THRESHOLD = 0.9
MIN_PAIRS_FOR_EM = 500
MIN_RECORDS_FOR_EM = 50
_EPS = 1e-4
# How many pairs the night's own estimate counts for when blended with reviewed pairs.
REVIEW_PSEUDO_PAIRS = 50.0

# Attribute → its mutually exclusive binary levels (strongest first).
HUKOU_GROUPS: dict[str, tuple[str, ...]] = {
    "name": ("name_exact", "pinyin_exact", "pinyin_jw"),
    "birth": (
        "birth_exact",
        "birth_swapped_day_month",
        "birth_off_by_one_day",
        "birth_year_equal",
    ),
    "sex": ("sex_equal",),
    "death": ("death_exact",),
    "township": ("township_equal",),
    "village": ("village_equal",),
    "id_prefix14": ("id_prefix14_equal",),
    "id_last4": ("id_last4_equal",),
}

# Generic (m, u) among *blocked* pairs, used when the night is too small for EM. m: how
# often a true match shows the level (typing errors are rare, homophones rarer); u: how
# often two different people who share a block do (blocks share a birth date or a name,
# so date and sex agreement are common there, full-name agreement is not). Records reach
# this pass because their IDs failed, hence the modest m of the ID levels.
PRIORS: dict[str, tuple[float, float]] = {
    "name_exact": (0.90, 0.002),
    "pinyin_exact": (0.05, 0.002),
    "pinyin_jw": (0.03, 0.02),
    "birth_exact": (0.90, 0.30),
    "birth_swapped_day_month": (0.02, 0.002),
    "birth_off_by_one_day": (0.02, 0.005),
    "birth_year_equal": (0.04, 0.30),
    "sex_equal": (0.98, 0.50),
    "death_exact": (0.90, 0.01),
    "township_equal": (0.85, 0.10),
    "village_equal": (0.80, 0.01),
    "id_prefix14_equal": (0.50, 0.01),
    "id_last4_equal": (0.30, 0.001),
}

LABELS: dict[str, str] = {
    "name_exact": "姓名相同",
    "pinyin_exact": "姓名同音",
    "pinyin_jw": "姓名拼音相近",
    "birth_exact": "出生日期相同",
    "birth_swapped_day_month": "出生日期月日颠倒",
    "birth_off_by_one_day": "出生日期差一天",
    "birth_year_equal": "出生年份相同",
    "sex_equal": "性别相同",
    "death_exact": "死亡日期相同",
    "township_equal": "乡镇相同",
    "village_equal": "村相同",
    "id_prefix14_equal": "身份证前14位相同",
    "id_last4_equal": "身份证后4位相同",
}

_SPINE_OPTIONAL = ("sex", "birth_date", "death_date", "township", "village")


# ---------------------------------------------------------------------------- blocking
def _present(frame: pl.DataFrame, column: str) -> bool:
    return column in frame.columns and frame[column].null_count() < frame.height


def _jw(left: pl.Series, right: pl.Series) -> np.ndarray:
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
        _name_sim=pl.Series(_jw(pairs["pinyin_key"], pairs["pinyin_key_h"]), dtype=pl.Float64),
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


# ---------------------------------------------------------------------------- compare
def _eq(a: str, b: str) -> pl.Expr:
    return (pl.col(a) == pl.col(b)).fill_null(False)


def _both(a: str, b: str) -> pl.Expr:
    return pl.col(a).is_not_null() & pl.col(b).is_not_null()


def compare(pairs: pl.DataFrame) -> pl.DataFrame:
    """Binary (0/1 Int8) comparison levels per pair, plus `_has_<attribute>` flags.

    Only attributes both sides can carry get columns; `feature_groups` reads them back.
    """
    cols = set(pairs.columns)
    if "_name_sim" not in cols:
        pairs = pairs.with_columns(
            _name_sim=pl.Series(_jw(pairs["pinyin_key"], pairs["pinyin_key_h"]), dtype=pl.Float64)
        )
    out: dict[str, pl.Expr] = {}
    name_exact = _eq("name_key", "name_key_h")
    pinyin_exact = _eq("pinyin_key", "pinyin_key_h") & ~name_exact
    out["name_exact"] = name_exact
    out["pinyin_exact"] = pinyin_exact
    out["pinyin_jw"] = (
        (pl.col("_name_sim") >= JW_THRESHOLD)
        & ~name_exact
        & ~pinyin_exact
        & _both("pinyin_key", "pinyin_key_h")
    )
    out["_has_name"] = _both("pinyin_key", "pinyin_key_h") | _both("name_key", "name_key_h")
    if {"birth_date", "birth_date_h"} <= cols:
        b, h = pl.col("birth_date"), pl.col("birth_date_h")
        exact = _eq("birth_date", "birth_date_h")
        swapped = (
            (b.dt.year() == h.dt.year())
            & (b.dt.month() == h.dt.day())
            & (b.dt.day() == h.dt.month())
        ).fill_null(False) & ~exact
        one_day = ((b - h).dt.total_days().abs() == 1).fill_null(False) & ~exact & ~swapped
        out["birth_exact"] = exact
        out["birth_swapped_day_month"] = swapped
        out["birth_off_by_one_day"] = one_day
        out["birth_year_equal"] = (
            (b.dt.year() == h.dt.year()).fill_null(False) & ~exact & ~swapped & ~one_day
        )
        out["_has_birth"] = _both("birth_date", "birth_date_h")
    for attr, col, feature in (
        ("sex", "sex", "sex_equal"),
        ("death", "death_date", "death_exact"),
        ("township", "township", "township_equal"),
        ("village", "village", "village_equal"),
    ):
        if {col, f"{col}_h"} <= cols:
            out[feature] = _eq(col, f"{col}_h")
            out[f"_has_{attr}"] = _both(col, f"{col}_h")
    if "id_clean" in cols:
        full = pl.col("id_clean").str.len_chars() == 18
        out["id_prefix14_equal"] = (
            full & (pl.col("id_clean").str.slice(0, 14) == pl.col("person_id").str.slice(0, 14))
        ).fill_null(False)
        out["id_last4_equal"] = (
            full & (pl.col("id_clean").str.slice(14, 4) == pl.col("person_id").str.slice(14, 4))
        ).fill_null(False)
        out["_has_id_prefix14"] = full.fill_null(False)
        out["_has_id_last4"] = full.fill_null(False)
    return pairs.select(
        "_row",
        "person_id",
        *(
            e.alias(k) if k.startswith("_has_") else e.cast(pl.Int8).alias(k)
            for k, e in out.items()
        ),
    )


def feature_groups(
    features: pl.DataFrame, groups: dict[str, tuple[str, ...]] = HUKOU_GROUPS
) -> dict[str, tuple[str, ...]]:
    """The attributes (and their levels) present as columns in `features`."""
    return {
        g: tuple(lv for lv in levels if lv in features.columns)
        for g, levels in groups.items()
        if any(lv in features.columns for lv in levels)
    }


# ---------------------------------------------------------------------------- estimate
@dataclass(frozen=True)
class Model:
    """Fellegi–Sunter parameters: per level m and u, and λ = P(match) among pairs."""

    groups: dict[str, tuple[str, ...]]
    m: dict[str, float]
    u: dict[str, float]
    prior: float
    method: str = "priors"
    notes: list[str] = field(default_factory=list)

    def level_weight(self, level: str) -> float:
        return math.log2(self.m[level] / self.u[level])

    def none_weight(self, group: str) -> float:
        levels = self.groups[group]
        m = max(1.0 - sum(self.m[lv] for lv in levels), _EPS)
        u = max(1.0 - sum(self.u[lv] for lv in levels), _EPS)
        return math.log2(m / u)

    def weights(self) -> pl.DataFrame:
        """One row per level (and per attribute's 'none' level): m, u, log2 weight."""
        rows = []
        for g, levels in self.groups.items():
            for lv in levels:
                rows.append((g, lv, self.m[lv], self.u[lv], self.level_weight(lv)))
            m = 1.0 - sum(self.m[lv] for lv in levels)
            u = 1.0 - sum(self.u[lv] for lv in levels)
            rows.append((g, f"{g}_none", m, u, self.none_weight(g)))
        return pl.DataFrame(rows, schema=["attribute", "level", "m", "u", "weight"], orient="row")


def _normalise(groups, m: dict[str, float], u: dict[str, float]) -> None:
    """Clip into (ε, 1−ε) and keep each attribute's level probabilities summing below 1."""
    for levels in groups.values():
        for probs in (m, u):
            for lv in levels:
                probs[lv] = min(max(probs[lv], _EPS), 1 - _EPS)
            total = sum(probs[lv] for lv in levels)
            if total > 1 - _EPS:
                for lv in levels:
                    probs[lv] *= (1 - _EPS) / total


def _priors(groups, n_pairs: int, n_records: int, notes: list[str]) -> Model:
    m = {lv: PRIORS.get(lv, (0.9, 0.1))[0] for lv in _levels(groups)}
    u = {lv: PRIORS.get(lv, (0.9, 0.1))[1] for lv in _levels(groups)}
    _normalise(groups, m, u)
    # each record has at most one true mate among its candidates
    prior = min(max(n_records / max(n_pairs, 1), _EPS), 0.5)
    return Model(groups, m, u, prior, "priors", notes)


def _levels(groups) -> list[str]:
    return [lv for levels in groups.values() for lv in levels]


def estimate(
    features: pl.DataFrame,
    groups: dict[str, tuple[str, ...]] | None = None,
    min_pairs: int = MIN_PAIRS_FOR_EM,
    min_records: int = MIN_RECORDS_FOR_EM,
    check_level: str | None = "name_exact",
) -> Model:
    """Estimate m, u, λ from the night's pairs with recordlinkage's ECMClassifier.

    Falls back to `PRIORS` with fewer than `min_pairs` pairs / `min_records` records, or
    when EM fails or is implausible (m ≤ u for `check_level`). Levels constant over the
    night cannot be estimated and keep their priors.
    """
    groups = feature_groups(features, groups or HUKOU_GROUPS)
    levels = _levels(groups)
    n_records = features["_row"].n_unique() if features.height else 0
    notes: list[str] = []
    model = None
    if features.height < min_pairs or n_records < min_records:
        notes.append(f"{features.height} pairs / {n_records} records: priors used")
    else:
        model = _ecm(features, groups, levels, notes, check_level)
    if model is None:
        model = _priors(groups, features.height, n_records, notes)
    return model


def refine(
    model: Model,
    accepted: pl.DataFrame,
    rejected: pl.DataFrame,
    strength: float = REVIEW_PSEUDO_PAIRS,
) -> Model:
    """Move m toward the comparison levels of pairs reviewers accepted and u toward those
    they rejected (人工复核反馈).

    Each estimate is blended with the reviewed pairs' level frequencies as if the night's
    estimate were worth `strength` pairs: a handful of decisions nudge the weights, many
    decisions dominate them. Both inputs are `compare` outputs; either may be empty.
    """

    def blend(current: dict[str, float], labelled: pl.DataFrame) -> dict[str, float]:
        if labelled.is_empty():
            return dict(current)
        n = labelled.height
        out = {}
        for level, value in current.items():
            seen = float(labelled[level].sum()) if level in labelled.columns else value * n
            out[level] = min(max((value * strength + seen) / (strength + n), _EPS), 1 - _EPS)
        return out

    if accepted.is_empty() and rejected.is_empty():
        return model
    notes = [*model.notes, f"refined by {accepted.height} accepted, {rejected.height} rejected"]
    return replace(
        model,
        m=blend(model.m, accepted),
        u=blend(model.u, rejected),
        method=f"{model.method}+review",
        notes=notes,
    )


@contextlib.contextmanager
def _recordlinkage_quiet() -> Iterator[None]:
    """For one fit: recordlinkage's progress lines dropped (on its own logger, and those its
    EM module logs on the root logger directly) and the warnings raised under it ignored;
    all restored after. Nothing else logged meanwhile is touched."""
    import recordlinkage as rl

    package = str(Path(rl.__file__).parent)
    own, root = logging.getLogger("recordlinkage"), logging.getLogger()

    def not_recordlinkage(record: logging.LogRecord) -> bool:
        return not record.pathname.startswith(package)

    was = own.disabled
    own.disabled = True
    root.addFilter(not_recordlinkage)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        root.removeFilter(not_recordlinkage)
        own.disabled = was


def _ecm(features, groups, levels, notes, check_level) -> Model | None:
    import recordlinkage as rl

    data = features.select(levels)
    varying = [lv for lv in levels if data[lv].n_unique() == 2]
    if len(varying) < 2:
        notes.append("fewer than two varying features: priors used")
        return None
    clf = rl.ECMClassifier(binarize=None)
    try:
        with _recordlinkage_quiet():
            clf.fit(data.select(varying).to_pandas())
        m_fit = {k: float(v.get(1, 0.0)) for k, v in clf.m_probs.items()}
        u_fit = {k: float(v.get(1, 0.0)) for k, v in clf.u_probs.items()}
        p = float(clf.p)
    except Exception as exc:  # EM can fail on degenerate nights
        notes.append(f"ECM failed ({exc!r}): priors used")
        return None
    values = [*m_fit.values(), *u_fit.values(), p]
    if not all(np.isfinite(values)) or not 0 < p < 1:
        notes.append("ECM did not converge to finite parameters: priors used")
        return None
    if check_level in m_fit and m_fit[check_level] <= u_fit[check_level]:
        notes.append(f"ECM implausible ({check_level}: m ≤ u): priors used")
        return None
    never = {lv for lv in levels if lv not in varying and data[lv].max() == 0}
    m = {lv: m_fit.get(lv, PRIORS.get(lv, (0.9, 0.1))[0]) for lv in levels}
    u = {lv: u_fit.get(lv, PRIORS.get(lv, (0.9, 0.1))[1]) for lv in levels}
    for lv in never:  # never observed tonight: no weight matters, keep the sums honest
        m[lv] = u[lv] = _EPS
    fixed = [lv for lv in levels if lv not in varying and lv not in never]
    if fixed:
        notes.append("same in every pair tonight, priors kept: " + ", ".join(fixed))
    _normalise(groups, m, u)
    return Model(groups, m, u, min(max(p, _EPS), 1 - _EPS), "ecm", notes)


# ---------------------------------------------------------------------------- score
def score(pairs: pl.DataFrame, features: pl.DataFrame, model: Model) -> pl.DataFrame:
    """Per pair: `weight` (bits), `probability`, and `explanation` (level → weight).

    `pairs` may be the candidate pairs or just the features; only `_row` and `person_id`
    are taken from it (joined back onto `features` in order).
    """
    contributions: list[pl.Expr] = []
    entries: list[pl.Expr] = []
    for g, levels in model.groups.items():
        level = pl.lit(f"{g}_none")
        weight = pl.lit(model.none_weight(g))
        for lv in reversed(levels):
            level = pl.when(pl.col(lv) == 1).then(pl.lit(lv)).otherwise(level)
            weight = pl.when(pl.col(lv) == 1).then(pl.lit(model.level_weight(lv))).otherwise(weight)
        has = f"_has_{g}"
        if has in features.columns:
            weight = pl.when(pl.col(has)).then(weight)
        contributions.append(weight.fill_null(0.0))
        entries.append(pl.struct(level.alias("level"), weight.alias("weight")))
    base = math.log2(model.prior / (1 - model.prior))
    total = pl.lit(base) + pl.sum_horizontal(contributions)
    scored = features.select(
        "_row",
        "person_id",
        weight=total,
        explanation=pl.concat_list(entries).list.filter(
            pl.element().struct.field("weight").is_not_null()
        ),
    ).with_columns(probability=1.0 / (1.0 + pl.lit(2.0).pow(-pl.col("weight"))))
    if pairs is not features and pairs.height == scored.height:
        scored = scored.with_columns(pairs.select("_row", "person_id"))
    return scored.select("_row", "person_id", "probability", "weight", "explanation")


# ---------------------------------------------------------------------------- resolve
_RESOLVED_SCHEMA = {
    "_row": pl.UInt32,
    "decision": pl.String,
    "person_id": pl.String,
    "probability": pl.Float64,
    "weight": pl.Float64,
    "runner_up": pl.Float64,
    "candidates": pl.UInt32,
    "comparison": pl.String,
    "reason": pl.String,
}


def _comparison_text(explanation: list[dict] | None) -> str | None:
    if not explanation:
        return None
    return "; ".join(f"{e['level']} {e['weight']:+.1f}" for e in explanation)


def _agreeing_text(explanation: list[dict] | None) -> str:
    labels = [LABELS[e["level"]] for e in explanation or [] if e["level"] in LABELS]
    return "、".join(labels) if labels else "部分信息相符"


def resolve(
    scored: pl.DataFrame,
    link_threshold: float = 0.99,
    review_threshold: float = 0.5,
    margin: float | None = None,
    records: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """One row per record (`_row`): 'link' | 'review' | 'none' with its best candidate.

    link: probability ≥ `link_threshold` and weight ≥ runner-up's + `margin` bits (default
    log2(t/(1−t)) of the link threshold). review: probability ≥ `review_threshold` but not
    a link (too weak, or a runner-up as good: namesakes). none: below. `records` adds
    a 'none' row for every record of it that had no candidate at all.
    """
    if margin is None:
        margin = math.log2(link_threshold / (1 - link_threshold))
    ranked = scored.sort(["_row", "weight", "person_id"], descending=[False, True, False])
    best = ranked.group_by("_row", maintain_order=True).agg(
        pl.col("person_id").first(),
        pl.col("probability").first(),
        pl.col("weight").first(),
        pl.col("explanation").first(),
        runner_up=pl.col("probability").get(1, null_on_oob=True),
        _runner_weight=pl.col("weight").get(1, null_on_oob=True),
        candidates=pl.len().cast(pl.UInt32),
    )
    clear = (pl.col("weight") - pl.col("_runner_weight") >= margin).fill_null(True)
    strong = pl.col("probability") >= link_threshold
    decision = (
        pl.when(strong & clear)
        .then(pl.lit("link"))
        .when(pl.col("probability") >= review_threshold)
        .then(pl.lit("review"))
        .otherwise(pl.lit("none"))
    )
    best = best.with_columns(decision=decision)
    texts = [
        (
            _comparison_text(e),
            _reason(d, p, r, ok, e),
        )
        for d, p, r, ok, e in zip(
            best["decision"].to_list(),
            best["probability"].to_list(),
            best["runner_up"].to_list(),
            best.select(clear).to_series().to_list(),
            best["explanation"].to_list(),
            strict=True,
        )
    ]
    best = best.with_columns(
        comparison=pl.Series([t[0] for t in texts], dtype=pl.String),
        reason=pl.Series([t[1] for t in texts], dtype=pl.String),
        person_id=pl.when(pl.col("decision") != "none").then(pl.col("person_id")),
    )
    out = best.select(list(_RESOLVED_SCHEMA)).cast(_RESOLVED_SCHEMA)
    if records is not None:
        lonely = records.select("_row").join(out, on="_row", how="anti")
        out = pl.concat(
            [
                out,
                lonely.with_columns(
                    decision=pl.lit("none"),
                    candidates=pl.lit(0, pl.UInt32),
                    reason=pl.lit("无候选户籍人员"),
                ),
            ],
            how="diagonal_relaxed",
        ).cast(_RESOLVED_SCHEMA)
    return out.sort("_row")


def _reason(decision: str, p: float, runner: float | None, clear: bool, expl) -> str:
    agree = _agreeing_text([e for e in expl or [] if e["weight"] > 0])
    if decision == "link":
        return f"概率匹配：{agree}（概率{p:.3f}）"
    if decision == "review" and not clear:
        return f"多名候选人同样相符（{agree}），需人工区分"
    if decision == "review":
        return f"部分相符（{agree}，概率{p:.2f}），需人工复核"
    return "无足够相似的户籍人员"


# ---------------------------------------------------------------------------- pass
def probabilistic_pass(
    records: pl.DataFrame,
    spine: pl.DataFrame,
    rejected: pl.DataFrame | None = None,
    reviewed: tuple[pl.DataFrame, pl.DataFrame] | None = None,
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
    return resolve(score(pairs, features, model), records=records)
