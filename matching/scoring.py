"""Scoring and thresholds (打分与判定) of the Fellegi–Sunter pass: each pair's weight in
bits and match probability with its explanation, and one decision per record — link only
above the link threshold and clear of the runner-up, review above the review threshold
(namesakes always), else none — with the reason the staff read.
"""

from __future__ import annotations

import math

import polars as pl
from pensionlink.matching.comparison import LABELS
from pensionlink.matching.estimation import Model

__all__ = ["resolve", "score"]


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
