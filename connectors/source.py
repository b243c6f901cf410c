"""Read one source of a drop folder: find its file, read, check the header, type it.

Why: this is the unit the night is built from, and the unit a test or an operator can
run alone (``read_source("hukou", folder)``). It decides the two whole-file outcomes:
*missing* (no ``.csv``/``.xlsx``) and *rejected* (undecodable, unreadable, a required
header absent or repeated), each with a one-line message naming the file.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
from pensionlink.connectors.canonical import canonical_frame, rejected_rows
from pensionlink.connectors.citizen_id import normalise_citizen_id
from pensionlink.connectors.errors import SourceMissing, SourceRejected
from pensionlink.connectors.identity import id_text
from pensionlink.connectors.spec import SourceSpec, load_specs
from pensionlink.connectors.table import LINE_NO, RawTable, TableError, read_table

__all__ = ["SUFFIXES", "WITHHELD_SCHEMA", "SourceRead", "find_file", "read_source"]

log = logging.getLogger("pensionlink.connectors")

#: File kinds an agency may deliver, by suffix.
SUFFIXES: tuple[str, ...] = (".csv", ".xlsx")
_WHOLE_ROW = "(整行 whole row)"
_TOO_MANY_FIELDS = "字段数多于表头 more fields than the header (unquoted comma?)"

#: Who the rejected rows were about (in memory only, never published): the normalised ID
#: of each rejected row (with what a typo's repair needs: the cleaned ID and the name) and
#: the words that say whether it reported a death (人员状态, 终止原因; spaces removed), so
#: that a finding can treat that person as unknown.
WITHHELD_SCHEMA: dict[str, pl.DataType] = {
    "source": pl.String,
    "line": pl.Int64,
    "citizen_id": pl.String,
    "id_status": pl.String,
    "id_clean": pl.String,
    "name": pl.String,
    "hukou_status": pl.String,
    "end_reason": pl.String,
}
_SPACES = r"[\s\u3000]"


@dataclass(frozen=True)
class SourceRead:
    """One source as read tonight.

    ``frame`` is canonical (see `connectors.canonical`); ``rows_read`` counts the data
    rows in the file (blank lines excluded), including the ones in ``rejected``.
    """

    name: str
    path: Path
    frame: pl.DataFrame
    rows_read: int
    rejected: pl.DataFrame
    checksum: str
    encoding: str
    #: The IDs of the rows in ``rejected`` (see :data:`WITHHELD_SCHEMA`).
    withheld: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=WITHHELD_SCHEMA))

    @property
    def rows_rejected(self) -> int:
        return self.rejected["line"].n_unique() if self.rejected.height else 0


def find_file(spec: SourceSpec, extracts: Path) -> Path:
    """The delivered file of a source; :class:`SourceMissing` if there is none."""
    base = extracts / spec.path
    found = [
        base.with_name(base.name + suffix)
        for suffix in SUFFIXES
        if base.with_name(base.name + suffix).is_file()
    ]
    if not found:
        raise SourceMissing(spec.name, f"{spec.path}.csv|.xlsx")
    if len(found) > 1:
        names = " and ".join(_relative(p, extracts) for p in found)
        raise SourceRejected(f"{names}: 同一来源送达两个文件 both delivered; remove one")
    return found[0]


def read_source(name: str, extracts: Path, *, as_of: dt.date | None = None) -> SourceRead:
    """Read source ``name`` from the drop folder ``extracts``; with ``as_of``, a date the
    contract forbids after it is rejected (`connectors.values`)."""
    spec = load_specs()[name]
    path = find_file(spec, Path(extracts))
    file = _relative(path, Path(extracts))
    ids = (spec.id_column.header,) if spec.id_column is not None else ()
    try:
        table = read_table(path, id_headers=ids)
    except TableError as exc:
        raise SourceRejected(f"{file}: {exc}") from None
    except OSError as exc:
        raise SourceRejected(f"{file}: 无法读取 cannot read ({exc.strerror})") from None
    _check_header(spec, table, file)
    raw = _with_optional_columns(spec, table.frame)
    shifted = _shifted_rows(spec, table, file)
    if shifted.height:
        raw = raw.join(table.too_many_fields, on=LINE_NO, how="anti")
    frame, rejected = canonical_frame(raw, spec, file, as_of=as_of)
    if shifted.height:
        rejected = pl.concat([shifted, rejected]).sort("line", maintain_order=True)
    read = SourceRead(
        name,
        path,
        frame,
        table.frame.height,
        rejected,
        table.checksum,
        table.encoding,
        _withheld(spec, table.frame, rejected),
    )
    log.info(
        "读取 %s: %s (%s) %d rows, %d rejected",
        name,
        file,
        read.encoding,
        read.rows_read,
        read.rows_rejected,
    )
    return read


def _withheld(spec: SourceSpec, raw: pl.DataFrame, rejected: pl.DataFrame) -> pl.DataFrame:
    """The normalised ID of every rejected row (null where it is not a usable ID)."""
    col = spec.id_column
    if col is None or rejected.is_empty():
        return pl.DataFrame(schema=WITHHELD_SCHEMA)
    lines = rejected.select(pl.col("line").unique().alias(LINE_NO))
    rows = raw.join(lines, on=LINE_NO).rename({col.header: col.column})
    headers = {c.column: c.header for c in spec.columns}
    known = {w for w, h in headers.items() if h in rows.columns}
    words = [
        (pl.col(headers[w]).str.replace_all(_SPACES, "") if w in known else pl.lit(None))
        .cast(pl.String)
        .alias(w)
        for w in ("hukou_status", "end_reason")
    ]
    name = pl.col(headers["name"]).str.strip_chars() if "name" in known else pl.lit(None)
    return (
        rows.select(
            pl.lit(spec.name, pl.String).alias("source"),
            pl.col(LINE_NO).alias("line"),
            normalise_citizen_id(id_text(col)).struct.field("citizen_id", "id_status", "id_clean"),
            name.cast(pl.String).alias("name"),
            *words,
        )
        .sort("line")
        .cast(WITHHELD_SCHEMA)
    )


def _relative(path: Path, extracts: Path) -> str:
    try:
        return path.relative_to(extracts).as_posix()
    except ValueError:
        return path.name


def _check_header(spec: SourceSpec, table: RawTable, file: str) -> None:
    """Reject the file if a required header is absent or any mapped header repeats."""
    found = set(table.headers)
    missing = [h for h in spec.required_headers if h not in found]
    if missing and not found & {c.header for c in spec.columns}:
        # no known header at all: the first line is probably a record, which must not
        # be echoed into logs (IDs, names)
        raise SourceRejected(
            f"{file}: 首行不是表头 first line is not the expected header "
            f"(expected {', '.join(spec.required_headers)})"
        )
    if missing:
        raise SourceRejected(f"{file}: {_missing_headers(spec, table.headers, missing)}")
    repeated = [c.header for c in spec.columns if c.header in table.duplicated]
    if repeated:
        raise SourceRejected(f"{file}: 列名重复 repeated column(s) {', '.join(repeated)}")


def _missing_headers(spec: SourceSpec, headers: tuple[str, ...], missing: list[str]) -> str:
    """What is wrong with a header row, by column position and expected header only: a
    header cell as delivered is never echoed (it may hold a name or an ID typed there)."""
    expected = [c.header for c in spec.columns]
    unexpected = [i for i, h in enumerate(headers, 1) if h not in expected]
    parts = []
    for header in missing:
        position = expected.index(header) + 1
        if position in unexpected:
            unexpected.remove(position)
            parts.append(
                f"第{position}列表头不是预期的「{header}」 "
                f"column {position} is not the expected header {header}"
            )
        else:
            parts.append(f"缺少必需列「{header}」 missing column {header}")
    if unexpected:
        columns = "、".join(str(i) for i in unexpected)
        parts.append(f"第{columns}列表头无法识别 unexpected header in column(s) {columns}")
    return "; ".join(parts)


def _with_optional_columns(spec: SourceSpec, raw: pl.DataFrame) -> pl.DataFrame:
    """Absent optional columns as empty text, so typing sees every mapped header."""
    absent = [c.header for c in spec.columns if c.header not in raw.columns]
    return raw.with_columns(pl.lit(None, pl.String).alias(h) for h in absent)


def _shifted_rows(spec: SourceSpec, table: RawTable, file: str) -> pl.DataFrame:
    """Rejected rows for lines with more fields than the header (their cells are shifted)."""
    return table.too_many_fields.select(
        rejected_rows(
            spec.name,
            file,
            pl.col(LINE_NO),
            _WHOLE_ROW,
            pl.lit(None, pl.String),
            _TOO_MANY_FIELDS,
        )
    )
