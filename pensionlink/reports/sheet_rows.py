"""A table's data rows as worksheet XML (工作表数据行), built from the polars frame.

xlsxwriter writes a cell per Python call; the 核查表 have tens of thousands of rows, so
the rows between the header and the 合计 row are built here with vectorised string
expressions — one ``<row>`` per frame row, cells as xlsxwriter would write them (numbers
and dates as ``<v>`` values, text as inline strings with ``&<>`` escaped, control characters
as ``_xHHHH_``, nulls as formatted blanks) — and handed to `TableSheet`, which writes them
in place of its (empty) rows 1..n. Column widths (列宽) come from the same frame.
"""

from __future__ import annotations

import polars as pl
from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.worksheet import Worksheet

__all__ = ["TableSheet", "display_width", "rows_fit", "rows_xml"]

#: days from Excel's 1899-12-31 epoch to 1970-01-01 (polars' Date zero)
_EPOCH_DAYS = 25568
#: text xlsxwriter would escape as _xHHHH_ (control characters, and literal _xHHHH_)
_CONTROL = r"[\x00-\x08\x0b-\x1f]|_x[0-9a-fA-F]{4}_"
_INTEGERS = (pl.Int8, pl.Int16, pl.Int32, pl.Int64, pl.UInt8, pl.UInt16, pl.UInt32, pl.UInt64)


class TableSheet(Worksheet):
    """A worksheet whose rows 1..n come pre-built (`rows_xml`) and everything else —
    header, 合计 row, widths, panes, filters — from xlsxwriter as usual."""

    body: str = ""
    body_rows: int = 0

    def set_body(self, body: str, rows: int, columns: int) -> None:
        """Rows 1..`rows` of the sheet, `columns` wide, as XML."""
        self.body, self.body_rows = body, rows
        if rows:
            self._check_dimensions(rows, columns - 1)
            self._check_dimensions(1, 0)

    def _write_rows(self) -> None:
        if not self.body_rows:
            super()._write_rows()
            return
        rowmin, rowmax = self.dim_rowmin, self.dim_rowmax
        try:
            if rowmin < 1:
                self.dim_rowmax = 0
                super()._write_rows()
            self.fh.write(self.body)
            if rowmax > self.body_rows:
                self.dim_rowmin, self.dim_rowmax = self.body_rows + 1, rowmax
                super()._write_rows()
        finally:
            self.dim_rowmin, self.dim_rowmax = rowmin, rowmax


def rows_fit(frame: pl.DataFrame, keys: list[str]) -> bool:
    """Whether `rows_xml` can write these columns: numbers, dates, booleans and text
    without control characters or literal ``_xHHHH_`` (which readers unescape only in
    shared strings — those tables are written cell by cell, as before)."""
    for key in keys:
        dtype = frame.schema[key]
        if dtype == pl.String:
            if frame[key].str.contains(_CONTROL).any():
                return False
        elif dtype in (pl.Float32, pl.Float64):
            if not frame[key].drop_nulls().is_finite().all():
                return False  # xlsxwriter refuses NaN and infinity: let it say so
        elif not (
            dtype in _INTEGERS or dtype in (pl.Date, pl.Boolean) or isinstance(dtype, pl.Decimal)
        ):
            return False
    return True


def rows_xml(frame: pl.DataFrame, keys: list[str], styles: list[int]) -> str:
    """The ``<row>`` elements for rows 2.. of the sheet (frame row i → sheet row i + 2),
    columns `keys` in order, cell style indexes `styles`; the frame must `rows_fit`."""
    if frame.is_empty():
        return ""
    row = pl.int_range(2, frame.height + 2, eager=False).cast(pl.String)
    parts: list[pl.Expr] = [pl.lit('<row r="'), row, pl.lit(f'" spans="1:{len(keys)}">')]
    for c, (key, style) in enumerate(zip(keys, styles, strict=True)):
        parts += [pl.lit(f'<c r="{xl_col_to_name(c)}'), row, pl.lit(f'" s="{style}"')]
        parts.append(_cell_tail(frame, key))
    parts.append(pl.lit("</row>"))
    rows = frame.select(pl.concat_str(parts).alias("row"))
    return rows.select(pl.col("row").str.join("")).item()


def _cell_tail(frame: pl.DataFrame, key: str) -> pl.Expr:
    """What follows a cell's ``s`` attribute: its value and close, ``/>`` when blank."""
    dtype = frame.schema[key]
    col = pl.col(key)
    if dtype in _INTEGERS:
        tail = _number(col.cast(pl.String))
    elif isinstance(dtype, pl.Decimal):
        text = col.cast(pl.String)  # "12.30" reads as float(Decimal("12.30"))
        if dtype.scale:  # as %.16G writes it: "12.3", "600"
            text = text.str.replace(r"0+$", "").str.replace(r"\.$", "")
        tail = _number(text)
    elif dtype == pl.Date:
        days = col.cast(pl.Int32) + _EPOCH_DAYS
        days = days + (days > 59).cast(pl.Int32)  # Excel's 1900-02-29
        tail = _number(days.cast(pl.String))
    elif dtype == pl.String:
        tail = _string(col)
    else:
        tail = col.map_elements(_python_tail, return_dtype=pl.String, skip_nulls=True)
    return tail.fill_null("/>")


def _number(text: pl.Expr) -> pl.Expr:
    return pl.concat_str(pl.lit("><v>"), text, pl.lit("</v></c>"))


def _string(col: pl.Expr) -> pl.Expr:
    text = (
        col.str.replace_all("&", "&amp;", literal=True)
        .str.replace_all("<", "&lt;", literal=True)
        .str.replace_all(">", "&gt;", literal=True)
    )
    open_t = (
        pl.when(col.str.contains(r"^\s|\s$"))
        .then(pl.lit(' t="inlineStr"><is><t xml:space="preserve">'))
        .otherwise(pl.lit(' t="inlineStr"><is><t>'))
    )
    return pl.concat_str(open_t, text, pl.lit("</t></is></c>"))


def _python_tail(value: float | bool) -> str:
    """A float or boolean cell as `workbook._write_cell` writes it (%.16G, "True")."""
    if isinstance(value, float):
        return f"><v>{value:.16G}</v></c>"
    return f' t="inlineStr"><is><t>{value}</t></is></c>'


def display_width(values: pl.Series) -> int:
    """The widest value in characters, CJK (from U+2E80) counting double; 0 when none."""
    text = values.drop_nulls()
    if text.dtype == pl.Boolean:
        text = text.replace_strict({True: "True", False: "False"}, return_dtype=pl.String)
    elif text.dtype != pl.String:
        text = pl.Series([str(v) for v in text.to_list()], dtype=pl.String)  # as str(v)
    if text.is_empty():
        return 0
    width = text.str.len_chars() + text.str.count_matches(r"[\x{2E80}-\x{10FFFF}]")
    return int(width.max())
