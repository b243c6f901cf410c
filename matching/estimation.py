"""m/u estimation (参数估计) of the Fellegi–Sunter pass: EM on the night's own pairs
(recordlinkage's `ECMClassifier`), generic `PRIORS` when the night is too small or EM
implausible, and reviewers' decisions refining the estimate (人工复核反馈).
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
from pensionlink.matching.comparison import HUKOU_GROUPS, feature_groups

__all__ = [
    "EPS",
    "MIN_PAIRS_FOR_EM",
    "MIN_RECORDS_FOR_EM",
    "PRIORS",
    "REVIEW_PSEUDO_PAIRS",
    "Model",
    "estimate",
    "refine",
]

MIN_PAIRS_FOR_EM = 500

MIN_RECORDS_FOR_EM = 50

EPS = 1e-4

# How many pairs the night's own estimate counts for when blended with reviewed pairs.
REVIEW_PSEUDO_PAIRS = 50.0

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
        m = max(1.0 - sum(self.m[lv] for lv in levels), EPS)
        u = max(1.0 - sum(self.u[lv] for lv in levels), EPS)
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
                probs[lv] = min(max(probs[lv], EPS), 1 - EPS)
            total = sum(probs[lv] for lv in levels)
            if total > 1 - EPS:
                for lv in levels:
                    probs[lv] *= (1 - EPS) / total


def _priors(groups, n_pairs: int, n_records: int, notes: list[str]) -> Model:
    m = {lv: PRIORS.get(lv, (0.9, 0.1))[0] for lv in levels_of(groups)}
    u = {lv: PRIORS.get(lv, (0.9, 0.1))[1] for lv in levels_of(groups)}
    _normalise(groups, m, u)
    # each record has at most one true mate among its candidates
    prior = min(max(n_records / max(n_pairs, 1), EPS), 0.5)
    return Model(groups, m, u, prior, "priors", notes)


def levels_of(groups) -> list[str]:
    """Every level of every attribute, in order."""
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
    levels = levels_of(groups)
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
            out[level] = min(max((value * strength + seen) / (strength + n), EPS), 1 - EPS)
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
        m[lv] = u[lv] = EPS
    fixed = [lv for lv in levels if lv not in varying and lv not in never]
    if fixed:
        notes.append("same in every pair tonight, priors kept: " + ", ".join(fixed))
    _normalise(groups, m, u)
    return Model(groups, m, u, min(max(p, EPS), 1 - EPS), "ecm", notes)
