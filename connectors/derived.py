"""Columns some sources need beyond the delivered ones, derived the same way every night.

Why: the findings ask for a disability ``grade`` as a number and a death certificate's
``death_date`` as a date; deriving them here keeps source quirks (``2级``, the grade
digit at the end of the card number, a time of death) out of the findings.
"""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

__all__ = ["DERIVED", "derive"]

_CHINESE_DIGITS = {
    "一": "1",
    "二": "2",
    "三": "3",
    "四": "4",
    "壹": "1",
    "贰": "2",
    "叁": "3",
    "肆": "4",
}


def _disabled() -> list[pl.Expr]:
    """``grade`` 1–4 from 残疾等级 (``2级``, ``二级``), else the card's last digit."""
    stated = (
        pl.col("grade_raw")
        .str.replace_many(_CHINESE_DIGITS)
        .str.extract(r"^\s*([1-4])\s*级?\s*$", 1)
    )
    on_card = pl.col("card_no").str.replace_all(r"\s", "").str.extract(r"^.{18}[0-9]([1-4])$", 1)
    return [pl.coalesce(stated, on_card).cast(pl.Int8).alias("grade")]


def _death_certificates() -> list[pl.Expr]:
    return [pl.col("death_time").dt.date().alias("death_date")]


#: Derived columns per source (added after the delivered columns).
DERIVED: dict[str, Callable[[], list[pl.Expr]]] = {
    "disabled": _disabled,
    "death_certificates": _death_certificates,
}


def derive(name: str, frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with the source's derived columns, if it has any."""
    make = DERIVED.get(name)
    return frame.with_columns(make()) if make else frame
