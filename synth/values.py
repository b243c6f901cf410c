"""Dates and money as the generator holds them (日期与金额): int days since 1970-01-01
(`NEVER` for "no such date") and int fen, with their text as the extracts write it.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

NEVER = np.int64(10**7)  # a day far beyond any real date: "no such date"

_EPOCH = dt.date(1970, 1, 1)


def day_number(d: dt.date) -> int:
    """Days since 1970-01-01 of a date."""
    return (d - _EPOCH).days


def year_month_day(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Year, month, day of int days."""
    d64 = days.astype("datetime64[D]")
    months = d64.astype("datetime64[M]")
    year = months.astype("datetime64[Y]").astype(np.int64) + 1970
    month = months.astype(np.int64) % 12 + 1
    day = (d64 - months.astype("datetime64[D]")).astype(np.int64) + 1
    return year, month, day


def month_index(days: np.ndarray) -> np.ndarray:
    """Months since 1970-01 of int days."""
    return days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)


def month_start(month_index: np.ndarray) -> np.ndarray:
    """Day number of the first day of a month index."""
    return np.asarray(month_index).astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)


def add_years(days: np.ndarray, years: int) -> np.ndarray:
    """The same calendar day `years` later (29 February becomes 1 March)."""
    _, _, d = year_month_day(days)
    return month_start(month_index(days) + 12 * years) + d - 1


def dates_text(days: np.ndarray, fmt: str) -> pl.Series:
    """Format int days (NEVER = null) with a strftime format."""
    s = pl.Series(np.where(days >= NEVER, 0, days).astype(np.int32)).cast(pl.Date)
    out = s.dt.strftime(fmt)
    return out.set(pl.Series(days >= NEVER), None) if (days >= NEVER).any() else out


def money_text(fen: np.ndarray) -> pl.Series:
    """Fen as '123.45'."""
    s = pl.Series(np.asarray(fen, dtype=np.int64))
    return pl.select(
        (s // 100).cast(pl.String) + "." + (s % 100).cast(pl.String).str.zfill(2)
    ).to_series()
