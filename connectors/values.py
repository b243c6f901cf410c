"""Values outside the contract: the checks a typed cell must pass, as polars expressions.

Why: a cell can parse and still be wrong. A 参保状态 of 正常 (a hukou word) or an amount
of −600 reads as text or money, but taking it would make a living pensioner 应保未保 or
count a reversal as money to recover. So every value the contract bounds is checked here,
and a row that fails is rejected (with file, line, header, value and reason), never
mapped to something it might have meant. The bounds are data in `sources.toml`:
``allowed`` words of a status or category column, compared after removing every space
(ASCII, full-width and other Unicode spaces, so ``待遇 领取`` is 待遇领取); ``min``/``max``
of an amount; ``earliest`` and ``latest = "as_of"`` of a date (a date *on* the as-of date
is fine); ``not_before_birth`` for a date (a death) that cannot precede the birth date of
the same record, its own or the one its valid ID carries.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl
from pensionlink.connectors.spec import ColumnSpec, SourceSpec

__all__ = ["ValueCheck", "normalise_words", "value_checks"]

# Removed from a status or category word: every Unicode space, and zero-width characters.
_SPACES = r"[\s\u00a0\u2000-\u200d\u2060\u3000\ufeff]"
# Never echo something that may be an ID into the rejection report.
_LONG_NUMBER = r"[0-9０-９]{6,}"
# Columns holding the record's own birth date, when a source has one.
_BIRTH_COLUMNS = ("birth_date", "id_birth_date")


@dataclass(frozen=True)
class ValueCheck:
    """One check of one column: rows where ``failed`` is true are rejected for ``reason``."""

    header: str
    failed: pl.Expr
    reason: pl.Expr
    #: The delivered cell as it goes into the rejection report.
    shown: pl.Expr


def normalise_words(spec: SourceSpec) -> list[pl.Expr]:
    """Each status or category column with its spaces removed (empty stays null)."""
    return [
        pl.col(c.column).str.replace_all(_SPACES, "").alias(c.column)
        for c in spec.columns
        if c.allowed
    ]


def value_checks(spec: SourceSpec, as_of: dt.date | None, columns: set[str]) -> list[ValueCheck]:
    """The checks of a source's typed values; ``columns`` are those the frame has (the
    birth-date check uses whichever of ``birth_date``/``id_birth_date`` it holds)."""
    checks: list[ValueCheck] = []
    births = [b for b in _BIRTH_COLUMNS if b in columns]
    for col in spec.columns:
        checks += _word_check(col)
        checks += _amount_checks(col)
        checks += _date_checks(col, as_of, births)
    return checks


def _check(col: ColumnSpec, failed: pl.Expr, reason: str | pl.Expr) -> ValueCheck:
    text = reason if isinstance(reason, pl.Expr) else pl.lit(reason, pl.String)
    return ValueCheck(col.header, failed.fill_null(False), text, pl.col(col.header))


def _word_check(col: ColumnSpec) -> list[ValueCheck]:
    if not col.allowed:
        return []
    value = pl.col(col.column)
    reason = f"不是约定取值 not a value of the contract (expected {'/'.join(col.allowed)})"
    check = _check(col, value.is_not_null() & ~value.is_in(col.allowed), reason)
    shown = pl.col(col.header).str.replace_all(_LONG_NUMBER, "…")
    return [ValueCheck(check.header, check.failed, check.reason, shown)]


def _amount_checks(col: ColumnSpec) -> list[ValueCheck]:
    value = pl.col(col.column)
    checks = []
    if col.min is not None:
        below = "金额为负 negative amount" if col.min == 0 else f"低于下限 below {col.min}"
        checks.append(_check(col, value < col.min, f"{below} (expected {col.min}…{col.max})"))
    if col.max is not None:
        reason = f"超出上限 above {col.max}, not a plausible amount"
        checks.append(_check(col, value > col.max, reason))
    return checks


def _date_checks(col: ColumnSpec, as_of: dt.date | None, births: list[str]) -> list[ValueCheck]:
    if col.type not in ("date", "datetime", "yearmonth"):
        return []
    day = pl.col(col.column).dt.date() if col.type == "datetime" else pl.col(col.column)
    checks = []
    if col.earliest is not None:
        reason = f"日期早于{col.earliest:%Y-%m-%d} before {col.earliest:%Y-%m-%d}"
        checks.append(_check(col, day < col.earliest, reason))
    if col.not_after_as_of and as_of is not None:
        reason = f"日期晚于核查日期 after the as-of date {as_of:%Y-%m-%d}"
        checks.append(_check(col, day > as_of, reason))
    if col.not_before_birth and births:
        before = pl.any_horizontal(day < pl.col(b) for b in births)
        reason = "早于出生日期 before the birth date (the record's own or its ID's)"
        checks.append(_check(col, before, reason))
    return checks
