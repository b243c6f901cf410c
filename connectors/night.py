"""Read a whole drop folder (one night) into canonical frames.

Why: the night needs every source, always with the same columns, and one record of what
each agency delivered (file, checksum, encoding, rows read and rejected) for the `runs`
table. The hukou spine and the resident roster are what everything links to and checks,
so without either the night stops (:class:`SourceRejected`). Any other source that is
absent or rejected whole becomes an empty frame with a note, and the night goes on.

Snapshots (上次有效数据): pass ``snapshots`` (the warehouse's store of each source's last
accepted delivery) and two things change. A file whose checksum equals the snapshot's is
not parsed again: the stored frame is used. A source absent or rejected tonight is
replaced by its snapshot and marked ``stale`` — a bad delivery never erases what earlier
nights delivered; only a required source that has *never* been accepted stops the night.

Guards: pass ``guard`` and a freshly read delivery is compared with the source's last
accepted one (`connectors.delivery_guard`): no rows, too large a fall or rise in rows or
distinct IDs, a cut last line. Such a delivery is *held*: it is treated like a rejected
file (the snapshot stands in, marked stale, the note says why), listed in ``held`` for
the run record, and never kept as the snapshot — unless an operator accepted that very
file (its checksum) with `pensionlink accept`.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Protocol

import polars as pl
from pensionlink.connectors.canonical import REJECTED_SCHEMA, empty_frame
from pensionlink.connectors.delivery_guard import DeliveryGuard, counts_of, hold_reason, tail_of
from pensionlink.connectors.errors import SourceMissing, SourceRejected
from pensionlink.connectors.source import WITHHELD_SCHEMA, SourceRead, find_file, read_source
from pensionlink.connectors.spec import SourceSpec, load_specs
from pensionlink.connectors.table import file_checksum

__all__ = ["NOT_DELIVERED", "REQUIRED_SOURCES", "NightExtract", "Snapshots", "read_night"]

log = logging.getLogger("pensionlink.connectors")

#: Sources without which a night cannot be checked.
REQUIRED_SOURCES: tuple[str, ...] = ("hukou", "resident_roster")
NOT_DELIVERED = "未送达 not delivered"
UNCHANGED = "未变化，沿用上次解析 unchanged, parsed before"
#: Files read at once. Decoding (Python's codec) holds the interpreter, polars' parsing
#: and typing do not: while one file decodes, another parses on the other core.
READERS = 2


class Snapshots(Protocol):
    """Each source's last accepted delivery (kept in the warehouse)."""

    def checksum(self, source: str) -> str | None:
        """Checksum of the source's last accepted file, None if never accepted."""

    def load(self, source: str) -> SourceRead | None:
        """The last accepted delivery as it was read, None if never accepted."""


@dataclass
class NightExtract:
    """Everything read from one drop folder.

    ``frames``: canonical frame per source (all sources, empty when not delivered);
    ``sources``: one dict per source (source, file, checksum, encoding, rows_read,
    rows_rejected, stale, note) for the run record; ``rejected``: every rejected row;
    ``withheld``: the normalised IDs of tonight's rejected rows (in memory only), so that
    the findings can leave a person whose roster row was rejected out rather than guess.
    """

    frames: dict[str, pl.DataFrame]
    sources: list[dict]
    rejected: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=REJECTED_SCHEMA))
    accepted: dict[str, SourceRead] = field(default_factory=dict)
    withheld: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=WITHHELD_SCHEMA))
    held: list[dict] = field(default_factory=list)


def read_night(
    extracts: Path,
    *,
    as_of: dt.date | None = None,
    snapshots: Snapshots | None = None,
    guard: DeliveryGuard | None = None,
) -> NightExtract:
    """Read every source of the drop folder ``extracts``; ``as_of`` (None: no upper
    bound) is the night's date, after which the contract forbids some dates; with
    ``guard``, a delivery that fails a volume or shape guard is held (see
    `connectors.delivery_guard`)."""
    extracts = Path(extracts)
    if not extracts.is_dir():
        raise SourceRejected(f"{extracts}: 没有此文件夹 no such drop folder")
    started = time.perf_counter()
    frames: dict[str, pl.DataFrame] = {}
    sources: list[dict] = []
    rejected: list[pl.DataFrame] = []
    accepted: dict[str, SourceRead] = {}
    withheld: list[pl.DataFrame] = [pl.DataFrame(schema=WITHHELD_SCHEMA)]
    held: list[dict] = []
    specs = list(load_specs().values())
    pool = ThreadPoolExecutor(max_workers=READERS, thread_name_prefix="read")
    try:  # read ahead in the pool; taken in the mapping's order, as one by one
        fresh = {s.name: pool.submit(_fresh, s, extracts, snapshots, as_of) for s in specs}
        for spec in specs:
            try:
                read, note = _read_or_reuse(spec, fresh[spec.name], extracts, snapshots, as_of)
            except (SourceMissing, SourceRejected) as exc:
                reason = NOT_DELIVERED if isinstance(exc, SourceMissing) else str(exc)
                frames[spec.name], entry = _not_read(spec, reason, snapshots)
            else:
                hold = _hold(spec, read, extracts, snapshots, guard) if note is None else None
                if hold is not None:  # the snapshot stands in; the file never becomes one
                    frames[spec.name], entry = _not_read(spec, hold["note"], snapshots)
                    held.append({k: hold[k] for k in ("source", "file", "checksum", "reason")})
                    sources.append(entry)
                    continue
                frames[spec.name], entry = read.frame, _entry(read, extracts, note)
                rejected.append(read.rejected)
                withheld.append(read.withheld)
                if note is None:  # kept with its path relative to the drop folder
                    accepted[spec.name] = replace(read, path=Path(entry["file"]))
            sources.append(entry)
    finally:  # stopped or refused: the files not yet begun are not read
        pool.shutdown(wait=True, cancel_futures=True)
    all_rejected = pl.concat(rejected) if rejected else pl.DataFrame(schema=REJECTED_SCHEMA)
    log.info(
        "读取完成 read %d sources in %.1fs: %d rows, %d rejected, %d stale",
        len(frames),
        time.perf_counter() - started,
        sum(s["rows_read"] for s in sources),
        sum(s["rows_rejected"] for s in sources),
        sum(s["stale"] for s in sources),
    )
    return NightExtract(frames, sources, all_rejected, accepted, pl.concat(withheld), held)


def _hold(
    spec: SourceSpec,
    read: SourceRead,
    extracts: Path,
    snapshots: Snapshots | None,
    guard: DeliveryGuard | None,
) -> dict | None:
    """Tonight's fresh delivery held by the guards (with the run-record note), or None."""
    if guard is None or (spec.name, read.checksum) in guard.accepted:
        return None
    limit = guard.limits.get(spec.name)
    if limit is None:
        return None
    reason = hold_reason(
        counts_of(spec, read.frame, read.rows_read),
        guard.last.get(spec.name),
        limit,
        tail_of(read.path, read.encoding),
        required=spec.name in REQUIRED_SOURCES,
    )
    if reason is None:
        return None
    file = _entry(read, extracts)["file"]
    note = f"{file}: {reason}"
    if snapshots is not None and snapshots.checksum(spec.name) is not None:
        note += f"; 核实无误后接受 to take it: pensionlink accept {spec.name} --run <run_id>"
    return {
        "source": spec.name,
        "file": file,
        "checksum": read.checksum,
        "reason": reason,
        "note": note,
    }


def _fresh(
    spec: SourceSpec, extracts: Path, snapshots: Snapshots | None, as_of: dt.date | None
) -> SourceRead | None:
    """Tonight's file of a source as read (in the pool), None when its checksum is the
    snapshot's. Only the checksums are looked at here; the warehouse is read by
    `_read_or_reuse`, in the night's own thread."""
    if snapshots is not None:
        path = find_file(spec, extracts)
        known = snapshots.checksum(spec.name)
        if known is not None and known == file_checksum(path):
            return None
    return read_source(spec.name, extracts, as_of=as_of)


def _read_or_reuse(
    spec: SourceSpec,
    fresh: Future,
    extracts: Path,
    snapshots: Snapshots | None,
    as_of: dt.date | None = None,
) -> tuple[SourceRead, str | None]:
    """Tonight's delivery of a source; an unchanged file comes from its snapshot, unless
    that had rejected rows (read again: whom they concern is not kept, and tonight's
    as-of date may judge its dates differently)."""
    read = fresh.result()  # the reader's SourceMissing or SourceRejected is raised here
    if read is not None:
        return read, None
    previous = snapshots.load(spec.name)
    if previous is not None and previous.rejected.is_empty():
        log.info("未变化 %s unchanged since the last accepted delivery", spec.name)
        return previous, UNCHANGED
    return read_source(spec.name, extracts, as_of=as_of), None


def _entry(read: SourceRead, extracts: Path, note: str | None = None) -> dict:
    file = read.path.relative_to(extracts) if read.path.is_absolute() else read.path
    return {
        "source": read.name,
        "file": file.as_posix(),
        "checksum": read.checksum,
        "encoding": read.encoding,
        "rows_read": read.rows_read,
        "rows_rejected": read.rows_rejected,
        "stale": False,
        "note": note,
    }


def _not_read(
    spec: SourceSpec, note: str, snapshots: Snapshots | None
) -> tuple[pl.DataFrame, dict]:
    """Frame and run-record entry of a source that was absent or rejected whole."""
    previous = snapshots.load(spec.name) if snapshots is not None else None
    if previous is None and spec.name in REQUIRED_SOURCES:
        where = "" if note.startswith(spec.path) else f"{spec.path}: "
        raise SourceRejected(
            f"{where}{note}; {spec.title} is required and was never accepted, night stopped"
        )
    stale = previous is not None
    log.warning(
        "来源未读取 %s not read: %s%s",
        spec.name,
        note,
        " — 沿用上次有效数据 using the last accepted delivery" if stale else "",
    )
    entry = {
        "source": spec.name,
        "file": previous.path.as_posix() if stale else None,
        "checksum": previous.checksum if stale else None,
        "encoding": previous.encoding if stale else None,
        "rows_read": 0,
        "rows_rejected": 0,
        "stale": stale,
        "note": note,
    }
    return (previous.frame if stale else empty_frame(spec)), entry
