"""Read a whole drop folder (one night) into canonical frames.

Why: the night needs every source, always with the same columns, and one record of what
each agency delivered (file, checksum, encoding, rows read and rejected) for the `runs`
table. The hukou spine and the resident roster are what everything links to and checks,
so without either the night stops (:class:`SourceRejected`). Any other source that is
absent or rejected whole becomes an empty frame with a note, and the night goes on.

Hook for snapshots (later issue): an undelivered or rejected source may be replaced by
the last good delivery. Pass ``last_delivery``: called with the source name, it returns
that frame (canonical schema) or None; the source is then marked ``stale``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from connectors.canonical import REJECTED_SCHEMA, empty_frame
from connectors.errors import SourceMissing, SourceRejected
from connectors.source import SourceRead, read_source
from connectors.spec import SourceSpec, load_specs

__all__ = ["NOT_DELIVERED", "REQUIRED_SOURCES", "LastDelivery", "NightExtract", "read_night"]

log = logging.getLogger("pensionlink.connectors")

#: Sources without which a night cannot be checked.
REQUIRED_SOURCES: tuple[str, ...] = ("hukou", "resident_roster")
NOT_DELIVERED = "未送达 not delivered"

#: Returns the last good frame of a source (or None): the snapshot hook.
LastDelivery = Callable[[str], pl.DataFrame | None]


@dataclass
class NightExtract:
    """Everything read from one drop folder.

    ``frames``: canonical frame per source (all sources, empty when not delivered);
    ``sources``: one dict per source (source, file, checksum, encoding, rows_read,
    rows_rejected, stale, note) for the run record; ``rejected``: every rejected row.
    """

    frames: dict[str, pl.DataFrame]
    sources: list[dict]
    rejected: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=REJECTED_SCHEMA))


def read_night(extracts: Path, *, last_delivery: LastDelivery | None = None) -> NightExtract:
    """Read every source of the drop folder ``extracts``."""
    extracts = Path(extracts)
    if not extracts.is_dir():
        raise SourceRejected(f"{extracts}: 没有此文件夹 no such drop folder")
    started = time.perf_counter()
    frames: dict[str, pl.DataFrame] = {}
    sources: list[dict] = []
    rejected: list[pl.DataFrame] = []
    for spec in load_specs().values():
        try:
            read = read_source(spec.name, extracts)
        except (SourceMissing, SourceRejected) as exc:
            note = NOT_DELIVERED if isinstance(exc, SourceMissing) else str(exc)
            frames[spec.name], entry = _not_read(spec, note, last_delivery)
        else:
            frames[spec.name], entry = read.frame, _entry(read, extracts)
            rejected.append(read.rejected)
        sources.append(entry)
    all_rejected = pl.concat(rejected) if rejected else pl.DataFrame(schema=REJECTED_SCHEMA)
    log.info(
        "读取完成 read %d sources in %.1fs: %d rows, %d rejected, %d not read",
        len(frames),
        time.perf_counter() - started,
        sum(s["rows_read"] for s in sources),
        sum(s["rows_rejected"] for s in sources),
        sum(s["note"] is not None for s in sources),
    )
    return NightExtract(frames, sources, all_rejected)


def _entry(read: SourceRead, extracts: Path) -> dict:
    return {
        "source": read.name,
        "file": read.path.relative_to(extracts).as_posix(),
        "checksum": read.checksum,
        "encoding": read.encoding,
        "rows_read": read.rows_read,
        "rows_rejected": read.rows_rejected,
        "stale": False,
        "note": None,
    }


def _not_read(
    spec: SourceSpec, note: str, last_delivery: LastDelivery | None
) -> tuple[pl.DataFrame, dict]:
    """Frame and run-record entry of a source that was absent or rejected whole."""
    if spec.name in REQUIRED_SOURCES:
        where = "" if note.startswith(spec.path) else f"{spec.path}: "
        raise SourceRejected(f"{where}{note}; {spec.title} is required, night stopped")
    previous = last_delivery(spec.name) if last_delivery else None
    stale = previous is not None
    log.warning("来源未读取 %s not read: %s%s", spec.name, note, " (using last delivery)" * stale)
    entry = {
        "source": spec.name,
        "file": None,
        "checksum": None,
        "encoding": None,
        "rows_read": 0,
        "rows_rejected": 0,
        "stale": stale,
        "note": note,
    }
    return (previous if stale else empty_frame(spec)), entry
