"""Read one delivered file into a frame of text cells, with each row's line number.

Why: everything downstream (types, rejections, identity) works on one shape whatever
arrived: every delivered column as String under its cleaned header, a `line_no` that
points a clerk at the row in the file they sent (header = line 1), blank rows gone.
CSV and XLSX differ only here. Nothing is typed yet, so nothing is lost yet.
"""

from __future__ import annotations

import csv
import hashlib
import io
import logging
import re
from dataclasses import dataclass
from pathlib import Path

import fastexcel
import polars as pl
from pensionlink.connectors.encoding import Decoded, EncodingError, decode_to_utf8

__all__ = ["LINE_NO", "RawTable", "TableError", "file_checksum", "read_table"]

log = logging.getLogger("pensionlink.connectors")

#: Name of the line-number column (header = line 1, first data row = line 2).
LINE_NO = "line_no"

_HEADER_JUNK = "\ufeff\u200b"
_EXTRA = "__extra_fields__"


class TableError(ValueError):
    """The file cannot be read as a table at all (one-line reason, no file name)."""


@dataclass(frozen=True)
class RawTable:
    """A delivered file as text.

    ``frame`` holds every delivered column (String, named by its stripped header; a
    repeated header gets a ``#2`` suffix) plus ``line_no``; fully blank rows are removed.
    ``too_many_fields`` lists the ``line_no`` of rows that had more fields than the
    header: a CSV row like that is shifted and its cells cannot be trusted.
    """

    frame: pl.DataFrame
    headers: tuple[str, ...]
    duplicated: frozenset[str]
    too_many_fields: pl.DataFrame
    encoding: str
    checksum: str


def file_checksum(path: Path) -> str:
    """SHA-256 of a delivered file: the same bytes are the same delivery."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_table(path: Path, *, id_headers: tuple[str, ...] = ()) -> RawTable:
    """Read a ``.csv`` or ``.xlsx`` file; raises :class:`TableError` if impossible.

    ``id_headers`` name the columns that hold citizen IDs: in a workbook, a cell there that
    is a *number* lost its last digits to floating point, so it is kept as the number it
    is (``222405199001175712.0``, the float's exact value), which the ID normaliser
    classifies as mangled.
    """
    data = path.read_bytes()
    checksum = hashlib.sha256(data).hexdigest()
    quoted = False  # whether a cell may hold a line break (only a quoted CSV cell can)
    if path.suffix.lower() == ".xlsx":
        grid, encoding = _read_xlsx(path, id_headers), "xlsx"
    else:
        decoded = _decode(data)
        _check_not_cut(decoded.data)
        grid, encoding = _read_csv(decoded.data), decoded.encoding
        quoted = b'"' in decoded.data
    if grid.height == 0:
        raise TableError("空文件 empty file: no header row")
    cells = grid.drop(_EXTRA, strict=False)
    headers, duplicated = _headers(cells.row(0))
    body = grid.slice(1).rename(dict(zip(cells.columns, headers, strict=True)))
    body = _drop_blank_rows(body.with_columns(_line_numbers(body, quoted=quoted)))
    ragged = _no_ragged()
    if _EXTRA in body.columns:
        ragged = body.filter(pl.col(_EXTRA).is_not_null()).select(LINE_NO)
        body = body.drop(_EXTRA)
    return RawTable(body, headers, duplicated, ragged, encoding, checksum)


def _decode(data: bytes) -> Decoded:
    try:
        return decode_to_utf8(data)
    except EncodingError as exc:
        raise TableError(str(exc)) from None


def _read_csv(data: bytes) -> pl.DataFrame:
    """Every cell as text; the header is row 0 so that it is taken exactly as delivered.

    One column more than the header is read: a row that fills it had more fields than
    the header (a stray comma), so its cells are shifted and cannot be trusted.
    """
    if _blank(data):
        return pl.DataFrame()
    width = _header_width(data)
    schema = {f"column_{i}": pl.String for i in range(width)} | {_EXTRA: pl.String}
    try:
        return pl.read_csv(
            data,
            has_header=False,
            schema=schema,
            truncate_ragged_lines=True,
            missing_columns="insert",
        )
    except pl.exceptions.PolarsError as exc:
        raise TableError(_csv_fault(data, exc)) from None


def _csv_fault(data: bytes, exc: Exception) -> str:
    """Where a CSV could not be parsed: the line (Python's strict reader finds it) and the
    column polars names, never polars' message (it quotes the offending cell)."""
    reader = csv.reader(
        io.StringIO(data.decode("utf-8", errors="replace"), newline=""), strict=True
    )
    where = "位置未知 place unknown"
    try:
        for _ in reader:
            pass
    except csv.Error:
        where = f"第{reader.line_num}行附近 near line {reader.line_num}"
    column = re.search(r"\(column number (\d+)\)", str(exc))
    if column:
        where += f" 第{column[1]}列 column {column[1]}"
    return (
        f"CSV无法解析 unparsable CSV ({type(exc).__name__}): {where}: 引号不配对 a quote is not "
        'closed or is followed by text (expected a whole field in "…")'
    )


def _check_not_cut(data: bytes) -> None:
    """A file that stops without a line break inside its last row was cut in transfer."""
    if _blank(data) or data.endswith((b"\n", b"\r")):
        return
    start = max(data.rfind(b"\n"), data.rfind(b"\r")) + 1
    if start == 0:
        return  # header only, no line break: a header check will judge it
    last = data[start:].decode("utf-8", errors="replace")
    fields = len(next(csv.reader([last]), []))
    width = _header_width(data)
    if fields < width:
        line = data.count(b"\n") + 1
        raise TableError(
            f"文件在第{line}行中途截断 file ends mid-row at line {line} "
            f"({fields} of {width} fields): delivery incomplete"
        )


def _blank(data: bytes) -> bool:
    """Nothing but ASCII whitespace, as `bytes.strip` sees it, without copying the file
    (`not data.strip()` copies all of it: ≈ 0.08 s per 136 MB, the interpreter held)."""
    return not data or data.isspace()


def _header_width(data: bytes) -> int:
    head = data[:65536].decode("utf-8", errors="ignore")
    try:
        return len(next(csv.reader(io.StringIO(head))))
    except (csv.Error, StopIteration) as exc:
        name = type(exc).__name__
        raise TableError(f"表头无法解析 unparsable header at line 1 ({name})") from None


def _read_xlsx(path: Path, id_headers: tuple[str, ...] = ()) -> pl.DataFrame:
    """First sheet, every cell as text (dates arrive as ``YYYY-MM-DD 00:00:00``); a
    number in an ID column as a float's text (see :func:`read_table`)."""
    try:
        grid = pl.read_excel(
            path,
            sheet_id=1,
            engine="calamine",
            has_header=False,
            infer_schema_length=0,
            drop_empty_rows=False,
            drop_empty_cols=False,
        )
        grid = grid.select(pl.all().cast(pl.String))
        numeric = _numeric_cells(path, grid, id_headers)
    except Exception as exc:  # calamine/fastexcel raise their own types for corrupt files
        raise TableError(
            f"Excel无法读取 unreadable workbook ({type(exc).__name__}): "
            "文件损坏或不是xlsx corrupt or not an .xlsx workbook"
        ) from None
    # a number's digits (fastexcel writes a whole float as an integer) gain ".0"
    return grid.with_columns(
        pl.when(flags & pl.col(c).str.contains(r"^[0-9]+$"))
        .then(pl.col(c) + ".0")
        .otherwise(pl.col(c))
        .alias(c)
        for c, flags in numeric.items()
    )


def _numeric_cells(path: Path, grid: pl.DataFrame, id_headers: tuple[str, ...]) -> dict:
    """Per ID column of the sheet, which of its cells are numbers rather than text.

    The text grid shows a number as its digits, so the cell types are read again for
    those columns alone: fastexcel coerces a number (or a boolean) to a boolean and
    leaves a text cell null, which is exactly the distinction needed.
    """
    if grid.height == 0 or not id_headers:
        return {}
    header = [(cell or "").strip().strip(_HEADER_JUNK).strip() for cell in grid.row(0)]
    wanted = [i for i, name in enumerate(header) if name in id_headers]
    if not wanted:
        return {}
    sheet = fastexcel.read_excel(str(path)).load_sheet(
        0,
        header_row=None,
        use_columns=wanted,
        dtypes=dict.fromkeys(wanted, "boolean"),
        dtype_coercion="coerce",
    )
    types = sheet.to_polars()
    return {
        grid.columns[i]: types.to_series(k)
        .is_not_null()
        .extend_constant(False, max(grid.height - types.height, 0))
        .head(grid.height)
        for k, i in enumerate(wanted)
    }


def _headers(cells: tuple) -> tuple[tuple[str, ...], frozenset[str]]:
    """Stripped header cells, made unique; and which headers were repeated."""
    seen: dict[str, int] = {}
    names: list[str] = []
    for i, cell in enumerate(cells):
        name = (cell or "").strip().strip(_HEADER_JUNK).strip() or f"(空列 {i + 1})"
        seen[name] = seen.get(name, 0) + 1
        names.append(name if seen[name] == 1 else f"{name}#{seen[name]}")
    return tuple(names), frozenset(n for n, count in seen.items() if count > 1)


def _line_numbers(body: pl.DataFrame, *, quoted: bool) -> pl.Expr:
    """Line of each row: 2 + row index, plus newlines inside quoted cells of earlier rows."""
    index = pl.int_range(pl.len(), dtype=pl.Int64) + 2
    if not quoted or body.width == 0:
        return index.alias(LINE_NO)
    inner = pl.sum_horizontal(
        pl.col(c).str.count_matches("\n", literal=True).fill_null(0) for c in body.columns
    ).cast(pl.Int64)
    return (index + inner.cum_sum().shift(1, fill_value=0)).alias(LINE_NO)


def _drop_blank_rows(body: pl.DataFrame) -> pl.DataFrame:
    """Without spacer rows: every cell empty or whitespace (blank lines, ``,,,,``).

    Stripping every cell of millions of rows is costly, so only rows with little text in
    all (at most 4 bytes a cell on average: a real record has an ID or a name) are
    looked at closely.
    """
    cells = [c for c in body.columns if c != LINE_NO]
    if not cells:
        return body
    total = pl.sum_horizontal(pl.col(c).str.len_bytes().fill_null(0) for c in cells)
    short = total <= 4 * len(cells)
    candidates = body.filter(short)
    blank = candidates.filter(
        pl.all_horizontal(pl.col(c).is_null() | (pl.col(c).str.strip_chars() == "") for c in cells)
    )
    return body.join(blank.select(LINE_NO), on=LINE_NO, how="anti") if blank.height else body


def _no_ragged() -> pl.DataFrame:
    return pl.DataFrame(schema={LINE_NO: pl.Int64})
