"""Comparison vectors (比较向量) of the Fellegi–Sunter pass: one binary level per
attribute agreement (mutually exclusive within an attribute) and `_has_<attribute>` flags
for evidence both sides carry, with the staff's words for each level.
"""

from __future__ import annotations

import polars as pl
from pensionlink.matching.blocking import jaro_winkler

__all__ = ["HUKOU_GROUPS", "JW_THRESHOLD", "LABELS", "compare", "feature_groups"]

JW_THRESHOLD = 0.9

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
            _name_sim=pl.Series(
                jaro_winkler(pairs["pinyin_key"], pairs["pinyin_key_h"]), dtype=pl.Float64
            )
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
