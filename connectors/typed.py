"""Turn text cells into typed values, and say which cells could not be turned.

Why: agencies type dates and amounts by hand or export them from spreadsheets, so the
declared format is a strong hint, not a guarantee. Each type is one polars expression
(no per-row Python: visits run to millions of rows) that yields null for a value it cannot
read; a non-empty cell that comes out null is a *bad cell*, which the caller reports as a
rejected row. Leniency is limited to unambiguous spellings of the same order of fields:
unpadded ``2025/1/8`` for ``%Y/%m/%d``, ISO dates from a spreadsheet, ``1,234.50``.
Compact formats such as ``%Y%m%d`` must have every digit, because ``1947082`` is a typo,
not 2 August.
"""

from __future__ import annotations

import re

import polars as pl
from pensionlink.connectors.spec import ColumnSpec

from pensionlink.vocabulary import MONEY

__all__ = ["MONEY", "bad_reason", "blank_to_null", "parse_column", "parse_leniently"]

_DATETIME = pl.Datetime("us")

# Spreadsheet-style fallbacks, tried after the declared formats.
_ISO_DATE = "%Y-%m-%d"
_ISO_DATETIMES = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M")
_DATE_SEPARATORS = r"[./年月]"
_MIDNIGHT = r"[ T]00:00(:00(\.0+)?)?$"
_DECIMAL = r"^[+-]?[0-9]{1,10}(\.[0-9]{0,2})?$"
_INTEGER = r"^[+-]?[0-9]{1,18}$"
_YEARMONTH = r"^([0-9]{4})(?:([0-9]{2})|[-/.年]([0-9]{1,2})月?)$"
_PADDED_WIDTH = {"%Y": 4, "%m": 2, "%d": 2, "%H": 2, "%M": 2, "%S": 2}


def blank_to_null(text: pl.Expr) -> pl.Expr:
    """Surrounding whitespace stripped; an empty cell is null."""
    stripped = text.str.strip_chars()
    return pl.when(stripped != "").then(stripped)


def parse_column(col: ColumnSpec, text: pl.Expr) -> pl.Expr:
    """The typed value of ``text`` (already stripped, empty = null) in a declared format;
    null if it is not. Cheap: this runs on every row."""
    match col.type:
        case "str":
            return text
        case "date":
            return pl.coalesce([_strptime(text, f, pl.Date) for f in col.formats or [_ISO_DATE]])
        case "datetime":
            formats = col.formats or _ISO_DATETIMES
            return pl.coalesce([_strptime(text, f, _DATETIME) for f in formats])
        case "yearmonth":
            return _strptime(text + "01", "%Y%m%d", pl.Date)
        case "decimal":
            return _parse_decimal(text)
        case "int":
            return _parse_int(text)
    raise ValueError(f"unknown column type {col.type!r}")


def parse_leniently(col: ColumnSpec, text: pl.Expr) -> pl.Expr:
    """Like :func:`parse_column`, also accepting other unambiguous spellings.

    Costlier (several regular expressions), so it is meant for the few rows the declared
    formats did not read.
    """
    match col.type:
        case "date":
            return _parse_date(text, col.formats)
        case "datetime":
            return _parse_datetime(text, col.formats)
        case "yearmonth":
            return _parse_yearmonth(text)
        case "decimal":
            return _parse_decimal(text.str.replace_all(r"[,，¥￥元\s]", ""))
        case "int":
            return _parse_int(text.str.replace(r"\.0*$", ""))  # 12.0 from a spreadsheet
    return parse_column(col, text)


def bad_reason(col: ColumnSpec) -> str:
    """Why a non-empty cell of this column was rejected (Chinese, then English)."""
    expected = " or ".join(_human(f) for f in col.formats)
    match col.type:
        case "date":
            return f"日期格式不符 expected {expected or 'YYYY-MM-DD'}"
        case "datetime":
            return f"时间格式不符 expected {expected or 'YYYY-MM-DD HH:MM'}"
        case "yearmonth":
            return "年月格式不符 expected YYYYMM"
        case "decimal":
            return "金额格式不符 expected a number with at most 2 decimals"
        case "int":
            return "整数格式不符 expected a whole number"
    return "格式不符 unreadable value"


def _human(fmt: str) -> str:
    """``%Y%m%d`` → ``YYYYMMDD``, for messages a clerk can act on."""
    names = {"%Y": "YYYY", "%m": "MM", "%d": "DD", "%H": "HH", "%M": "MM", "%S": "SS"}
    return re.sub(r"%[A-Za-z]", lambda m: names.get(m.group(), m.group()), fmt)


def _strptime(text: pl.Expr, fmt: str, dtype: pl.DataType) -> pl.Expr:
    """One format, null when it does not fit; compact formats need their full width."""
    parsed = text.str.strptime(dtype, fmt, strict=False)
    if re.search(r"%[A-Za-z]%[A-Za-z]", fmt):
        width = sum(_PADDED_WIDTH.get(t, 1) for t in re.findall(r"%[A-Za-z]|.", fmt))
        return pl.when(text.str.len_chars() == width).then(parsed)
    return parsed


def _parse_date(text: pl.Expr, formats: tuple[str, ...]) -> pl.Expr:
    declared = [_strptime(text, f, pl.Date) for f in formats]
    # 2025.1.8, 2025年1月8日, 2025-01-08 00:00:00 (a spreadsheet date cell), 20250108
    dashed = (
        text.str.replace(r"日$", "")
        .str.replace(_MIDNIGHT, "")
        .str.replace_all(_DATE_SEPARATORS, "-")
    )
    lenient = [_strptime(dashed, _ISO_DATE, pl.Date), _strptime(text, "%Y%m%d", pl.Date)]
    return pl.coalesce([*declared, *lenient])


def _parse_datetime(text: pl.Expr, formats: tuple[str, ...]) -> pl.Expr:
    declared = [_strptime(text, f, _DATETIME) for f in formats]
    dashed = text.str.replace("T", " ", literal=True).str.replace_all(r"[./]", "-")
    lenient = [_strptime(dashed, f, _DATETIME) for f in _ISO_DATETIMES]
    # a date alone (time not recorded) is kept as midnight rather than losing the row
    date_only = _parse_date(text, ()).cast(_DATETIME)
    return pl.coalesce([*declared, *lenient, date_only])


def _parse_yearmonth(text: pl.Expr) -> pl.Expr:
    """``YYYYMM`` (or ``YYYY-M``) → the first day of that month."""
    year = text.str.extract(_YEARMONTH, 1)
    month = pl.coalesce(text.str.extract(_YEARMONTH, 2), text.str.extract(_YEARMONTH, 3))
    return pl.concat_str(year, pl.lit("-"), month, pl.lit("-01")).str.strptime(
        pl.Date, _ISO_DATE, strict=False
    )


def _parse_decimal(text: pl.Expr) -> pl.Expr:
    """Plain decimal with at most 2 decimals (a cast alone would truncate 14.655)."""
    return pl.when(text.str.contains(_DECIMAL)).then(text).cast(MONEY, strict=False)


def _parse_int(text: pl.Expr) -> pl.Expr:
    return pl.when(text.str.contains(_INTEGER)).then(text).cast(pl.Int64, strict=False)
