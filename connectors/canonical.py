"""From delivered text cells to the canonical frame of a source, and its rejected cells.

Why: after this step every source looks the same every night whatever the agency sent:
English column names in mapping order, real types, the derived and identity columns,
and ``line_no``. A non-empty cell that does not read as its type is never dropped
silently: its row leaves the frame and a ``rejected`` row names the file, line, Chinese
header, value and reason, so the agency can correct it. ID columns are text and so are
never rejected here, which keeps citizen IDs out of the rejection report.
"""

from __future__ import annotations

import datetime as dt

import polars as pl
from pensionlink.connectors.derived import derive
from pensionlink.connectors.identity import add_identity
from pensionlink.connectors.spec import ColumnSpec, SourceSpec
from pensionlink.connectors.table import LINE_NO
from pensionlink.connectors.typed import bad_reason, blank_to_null, parse_column, parse_leniently
from pensionlink.connectors.values import ValueCheck, normalise_words, value_checks

__all__ = ["REJECTED_SCHEMA", "canonical_frame", "empty_frame", "rejected_rows"]

#: Schema of rejected rows (the warehouse table `rejected_rows` without the run id).
REJECTED_SCHEMA: dict[str, pl.DataType] = {
    "source": pl.String,
    "file": pl.String,
    "line": pl.Int64,
    "column": pl.String,
    "value": pl.String,
    "reason": pl.String,
}


def rejected_rows(
    source: str, file: str, lines: pl.Expr, column: str, value: pl.Expr, reason: str | pl.Expr
) -> list[pl.Expr]:
    """The select list of rejected rows (columns of :data:`REJECTED_SCHEMA`)."""
    return [
        pl.lit(source, pl.String).alias("source"),
        pl.lit(file, pl.String).alias("file"),
        lines.cast(pl.Int64).alias("line"),
        pl.lit(column, pl.String).alias("column"),
        value.cast(pl.String).alias("value"),
        (reason if isinstance(reason, pl.Expr) else pl.lit(reason, pl.String))
        .cast(pl.String)
        .alias("reason"),
    ]


def _text(col: ColumnSpec) -> pl.Expr:
    """The cell as text, empty = null. An ID stays as delivered (the normaliser handles
    inner spaces and full-width digits); other text is stripped."""
    text = blank_to_null(pl.col(col.header))
    return pl.when(text.is_not_null()).then(pl.col(col.header)) if col.id else text


def _unread(col: ColumnSpec) -> pl.Expr:
    """A non-empty cell that did not become a value."""
    return pl.col(col.header).is_not_null() & pl.col(col.column).is_null()


def _typed(texts: pl.DataFrame, spec: SourceSpec) -> pl.DataFrame:
    """``texts`` plus each column's typed value (under its canonical name).

    The declared formats run on every row; the lenient parsers only on the rows they
    left unread (few), which keeps a night of millions of rows to a few seconds.
    """
    work = texts.with_columns(
        parse_column(c, pl.col(c.header)).alias(c.column) for c in spec.columns
    )
    checked = [c for c in spec.columns if c.type != "str"]
    if not checked:
        return work
    unread = pl.any_horizontal(_unread(c) for c in checked)
    retry = work.filter(unread)
    if retry.is_empty():
        return work
    retry = retry.with_columns(
        parse_leniently(c, pl.col(c.header)).alias(c.column) for c in checked
    )
    return pl.concat([work.filter(~unread), retry]).sort(LINE_NO)


def canonical_frame(
    raw: pl.DataFrame, spec: SourceSpec, file: str, *, as_of: dt.date | None = None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Typed frame and rejected cells of ``raw`` (text columns named by header + line_no).

    Every mapped header must be present in ``raw``; extra columns are ignored. A row is
    rejected for a cell that does not read as its type, or for a value outside the
    contract (`connectors.values`; dates after ``as_of`` only when it is given).
    """
    texts = raw.select(*(_text(c).alias(c.header) for c in spec.columns), pl.col(LINE_NO))
    work = _typed(texts, spec)
    checked = [c for c in spec.columns if c.type != "str"]
    typed = work.select(c.column for c in spec.columns).with_columns(normalise_words(spec))
    frame = add_identity(derive(spec.name, typed), spec).with_columns(work[LINE_NO])
    checks = [
        ValueCheck(c.header, _unread(c), pl.lit(bad_reason(c)), pl.col(c.header)) for c in checked
    ]
    checks += value_checks(spec, as_of, set(frame.columns))
    # the delivered cells beside the values, to show what was rejected
    both = pl.concat([frame, work.select(c.header for c in spec.columns)], how="horizontal")
    flags = both.select(check.failed.alias(str(i)) for i, check in enumerate(checks))
    rejected = [
        both.filter(flags[str(i)]).select(
            rejected_rows(spec.name, file, pl.col(LINE_NO), check.header, check.shown, check.reason)
        )
        for i, check in enumerate(checks)
        if flags[str(i)].any()
    ]
    if rejected:
        frame = frame.filter(~pl.any_horizontal(flags))
    return frame, _concat_rejected(rejected)


def _concat_rejected(parts: list[pl.DataFrame]) -> pl.DataFrame:
    if not parts:
        return pl.DataFrame(schema=REJECTED_SCHEMA)
    return pl.concat(parts).sort("line", maintain_order=True)


def empty_frame(spec: SourceSpec) -> pl.DataFrame:
    """A source's canonical frame with no rows (same columns and types as a read one)."""
    schema = {c.header: pl.String for c in spec.columns} | {LINE_NO: pl.Int64}
    frame, _ = canonical_frame(pl.DataFrame(schema=schema), spec, "")
    return frame
