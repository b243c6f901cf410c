"""Volume and shape guards (送达量与截断检查): is tonight's delivery fit to replace the last
accepted one?

Why: a file can be perfectly readable and still be the wrong file — a roster with only
its header, a hukou cut at half on a line end, a last line cut inside its last field
(12587.73 read as 12), IDs collapsed by a spreadsheet. Published, such a file erases
people: deaths vanish and thousands become 应保未保. So each freshly read delivery is
compared with the source's last accepted one (its snapshot) before it is used, and a
suspicious one is *held*: the snapshot stands in, the run record says why, and it never
becomes the snapshot until an operator accepts it (`pensionlink accept`).

The judgements are pure functions over counts and strings (`volume_reason`,
`cut_reason`, `hold_reason`); `read_tail` is the only I/O (the last 64 KiB of a CSV).
Thresholds are policy (`delivery_limits` in policy.toml), one per source.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
from pensionlink.connectors.spec import SourceSpec

__all__ = [
    "DeliveryCounts",
    "DeliveryGuard",
    "DeliveryLimit",
    "Tail",
    "counts_of",
    "cut_reason",
    "distinct_id_column",
    "hold_reason",
    "read_tail",
    "shape",
    "tail_of",
    "volume_reason",
]

HELD = "暂缓采用 held"
_TAIL_BYTES = 64 * 1024
_DIGIT = re.compile(r"[0-9０-９]")
_LETTER = re.compile(r"[A-Za-z]")


@dataclass(frozen=True)
class DeliveryLimit:
    """How far a source's delivery may move from its last accepted one before it is held.

    ``fall_percent``/``rise_percent``: the largest accepted fall/rise, in percent of the
    last accepted count; ``min_change``: changes of at most this many rows (or IDs) are
    never held (small files swing by a few records); ``id_fall_percent``: the largest
    accepted fall of distinct IDs when it differs from that of rows (a register that may
    never shrink can still lose an ID or two to a typo; a collapse is what matters).
    """

    fall_percent: int
    rise_percent: int
    min_change: int = 0
    id_fall_percent: int | None = None


@dataclass(frozen=True)
class DeliveryCounts:
    """What is compared: data rows in the file, and distinct IDs among them (None when
    the source carries no ID)."""

    rows: int
    distinct_ids: int | None = None


@dataclass(frozen=True)
class Tail:
    """The end of a CSV file: whether it ends in a line break, its last row's last field,
    and the last field of the rows before it (at most 64 KiB of them)."""

    ends_with_newline: bool
    last_field: str | None
    earlier_fields: tuple[str, ...] = ()


@dataclass(frozen=True)
class DeliveryGuard:
    """What the connectors need to judge tonight's deliveries: the limits per source, the
    last accepted counts per source, and the deliveries an operator accepted (source,
    checksum)."""

    limits: Mapping[str, DeliveryLimit]
    last: Mapping[str, DeliveryCounts] = field(default_factory=dict)
    accepted: frozenset[tuple[str, str]] = frozenset()


def distinct_id_column(spec: SourceSpec) -> str | None:
    """The column whose distinct values are counted: the normalised citizen ID where the
    source has one, otherwise the pension number (个人编号)."""
    if spec.id_column is not None:
        return "citizen_id"
    if any(c.column == "pension_no" for c in spec.columns):
        return "pension_no"
    return None


def counts_of(spec: SourceSpec, frame: pl.DataFrame, rows_read: int) -> DeliveryCounts:
    """Tonight's counts of a source read into its canonical ``frame``."""
    column = distinct_id_column(spec)
    if column is None or column not in frame.columns:
        return DeliveryCounts(rows_read)
    return DeliveryCounts(rows_read, frame[column].drop_nulls().n_unique())


def _moved(
    what: str, tonight: int, last: int, limit: DeliveryLimit, fall_percent: int
) -> str | None:
    """Why ``tonight`` is too far from ``last`` (integer arithmetic: no rounding at the
    limits), or None."""
    change = tonight - last
    if last <= 0 or abs(change) <= limit.min_change:
        return None
    percent = fall_percent if change < 0 else limit.rise_percent
    if abs(change) * 100 <= percent * last:
        return None
    verb = "下降 fell" if change < 0 else "上升 rose"
    return (
        f"{what}{verb} {last:,} → {tonight:,} ({change * 100 / last:+.1f} %, "
        f"上限 limit {'−' if change < 0 else '+'}{percent} %)"
    )


def volume_reason(
    tonight: DeliveryCounts,
    last: DeliveryCounts | None,
    limit: DeliveryLimit,
    *,
    required: bool = False,
) -> str | None:
    """Why tonight's delivery is held on its counts, or None.

    No rows: held when the last accepted delivery had rows, or when the source is
    required (the hukou and the roster are never replaced by nothing). With no last
    delivery there is nothing else to compare. Rows, then distinct IDs, may move by
    at most the limit's percentages (changes of at most ``min_change`` never count; IDs
    may fall by ``id_fall_percent`` where it is set).
    """
    if tonight.rows == 0:
        if last is not None and last.rows > 0:
            return f"无数据行 no data rows (上次 last accepted: {last.rows:,} rows)"
        if required and last is None:
            return "无数据行 no data rows"
        return None
    if last is None:
        return None
    reason = _moved("行数 rows ", tonight.rows, last.rows, limit, limit.fall_percent)
    if reason is None and tonight.distinct_ids is not None and last.distinct_ids is not None:
        id_fall = limit.fall_percent if limit.id_fall_percent is None else limit.id_fall_percent
        reason = _moved(
            "不同身份号码数 distinct IDs ", tonight.distinct_ids, last.distinct_ids, limit, id_fall
        )
    return reason


def shape(value: str) -> str:
    """A value's shape: every digit 9, every Latin letter a, the rest as it is
    (``12587.73`` → ``99999.99``, ``20250410`` → ``99999999``)."""
    return _LETTER.sub("a", _DIGIT.sub("9", value))


def cut_reason(tail: Tail) -> str | None:
    """Why the file's last line looks cut in transfer, or None.

    Only a file that does not end in a line break can have been cut inside its last
    line (a last row short of fields is rejected when the table is read). Its last field
    is cut when its shape occurs nowhere else in that column while being the beginning of
    a shape that does: a cut value is the start of a real one (``99`` of ``9999.99``).
    A healthy file without a final line break ends in a value of a usual shape, or in
    one that is nobody's beginning (a longer amount), and is not held; too few rows to
    compare with hold nothing either.
    """
    if tail.ends_with_newline or tail.last_field is None or not tail.earlier_fields:
        return None
    shapes = {shape(v) for v in tail.earlier_fields}
    last = shape(tail.last_field)
    if last in shapes or not any(s.startswith(last) for s in shapes):
        return None
    return (
        "末行截断 last line cut: 文件末尾无换行且末字段短于该列常见格式 "
        "no line break at the end and the last field is shorter than the column's values"
    )


def hold_reason(
    tonight: DeliveryCounts,
    last: DeliveryCounts | None,
    limit: DeliveryLimit,
    tail: Tail | None,
    *,
    required: bool = False,
) -> str | None:
    """Why tonight's delivery is held (counts first, then a cut last line), or None."""
    reason = volume_reason(tonight, last, limit, required=required)
    if reason is None and tail is not None:
        reason = cut_reason(tail)
    return None if reason is None else f"{HELD}: {reason}"


def read_tail(path: Path, encoding: str) -> Tail | None:
    """The end of a delivered CSV (None for a workbook: it has no lines to cut)."""
    if encoding == "xlsx" or Path(path).suffix.lower() != ".csv":
        return None
    with Path(path).open("rb") as f:
        size = f.seek(0, io.SEEK_END)
        start = max(0, size - _TAIL_BYTES)
        f.seek(start)
        data = f.read()
    if not data.strip():
        return None
    ends = data.endswith((b"\n", b"\r"))
    if start > 0:  # drop the partial first line (no line break occurs inside a
        data = data[data.find(b"\n") + 1 :]  # multi-byte GB18030 or UTF-8 character)
    text = data.decode(encoding, errors="replace")  # utf-8-sig drops a BOM if there is one
    rows = [r for r in csv.reader(io.StringIO(text, newline="")) if r]
    if start == 0:
        rows = rows[1:]  # the header
    if not rows:
        return Tail(ends, None)
    width = len(rows[-1])
    earlier = tuple(r[-1] for r in rows[:-1] if len(r) == width)
    return Tail(ends, rows[-1][-1], earlier)


def tail_of(path: Path, encoding: str) -> Tail | None:
    """`read_tail`, or None if the file cannot be read again (then only the counts
    judge it)."""
    try:
        return read_tail(path, encoding)
    except (OSError, LookupError):
        return None
