"""The drop root (数据交换目录): one folder per night, named by its date, and the flow
that processes the newest night not yet published.

The data bureau's exchange job writes each night's files into `<drop root>/<date>/`
(`2026-11-28` or `20261128`). A folder still being written — files growing, or a
partial-file name such as `*.part`/`*.tmp` — is waited for until nothing has changed for
`quiet_seconds`, never read half-way. A night already published is not run again (run it
by hand with `pensionlink run` to re-run it: that is safe, see README, Operations).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import time
from pathlib import Path

import duckdb
from pensionlink.flows.nightly import nightly
from prefect import flow

from pensionlink.warehouse import queries
from pensionlink.warehouse.store import open_warehouse

__all__ = [
    "DropNotReady",
    "drop_date",
    "newest_pending_drop",
    "nightly_from_drop_root",
    "published_nights",
    "wait_until_settled",
]

log = logging.getLogger("pensionlink.flow")

PARTIAL_SUFFIXES = (".part", ".tmp", ".partial", ".crdownload", ".filepart")
_DATE = re.compile(r"^(\d{4})-?(\d{2})-?(\d{2})$")


class DropNotReady(RuntimeError):
    """The night's folder kept changing for longer than we wait."""


def drop_date(folder: Path) -> dt.date | None:
    """The night a drop folder is for, from its name; None for any other folder."""
    match = _DATE.match(folder.name)
    if not match:
        return None
    try:
        return dt.date(*(int(g) for g in match.groups()))
    except ValueError:
        return None


def published_nights(db: Path) -> set[dt.date]:
    """As-of dates the database already holds a published run for."""
    if not Path(db).exists():
        return set()
    with open_warehouse(Path(db), read_only=True) as warehouse:
        try:
            rows = warehouse.frame(queries.published_nights())
        except duckdb.CatalogException:
            return set()
    return set(rows["as_of"].to_list())


def newest_pending_drop(drop_root: Path, published: set[dt.date]) -> tuple[dt.date, Path] | None:
    """The newest dated folder under `drop_root`, unless that night is published already."""
    nights = sorted(
        (day, folder)
        for folder in Path(drop_root).iterdir()
        if folder.is_dir() and (day := drop_date(folder)) is not None
    )
    if not nights:
        return None
    day, folder = nights[-1]
    skipped = [d for d, _ in nights[:-1] if d not in published]
    if skipped:
        log.warning("older nights never published (run them by hand if needed): %d", len(skipped))
    return None if day in published else (day, folder)


def folder_state(folder: Path) -> tuple:
    """Name, size and modification time of every file under the folder."""
    return tuple(
        sorted(
            (str(p.relative_to(folder)), st.st_size, st.st_mtime_ns)
            for p in folder.rglob("*")
            if p.is_file() and (st := p.stat())
        )
    )


def wait_until_settled(
    folder: Path, quiet_seconds: float, poll_seconds: float = 5.0, max_wait_seconds: float = 7200
) -> None:
    """Return once no file under `folder` was modified in the last `quiet_seconds` and
    none has a partial-file name; raise `DropNotReady` after `max_wait_seconds`."""
    deadline = time.monotonic() + max_wait_seconds
    announced = False
    while True:
        state = folder_state(folder)
        newest = max((mtime for _, _, mtime in state), default=0) / 1e9
        partial = any(name.endswith(PARTIAL_SUFFIXES) for name, _, _ in state)
        if not partial and time.time() - newest >= quiet_seconds:
            return
        if time.monotonic() > deadline:
            raise DropNotReady(
                f"{folder}: still being written after {max_wait_seconds:.0f} s; not read"
            )
        if not announced:
            log.info("数据仍在写入 drop folder still being written; waiting")
            announced = True
        time.sleep(poll_seconds)


@flow(name="pensionlink-drop-root", log_prints=False, persist_result=False)
def nightly_from_drop_root(
    drop_root: str, db: str, quiet_seconds: float = 300, policy: str | None = None
) -> dict | None:
    """Process the newest night in the drop root not yet published (None if there is none)."""
    pending = newest_pending_drop(Path(drop_root), published_nights(Path(db)))
    if pending is None:
        log.info("无新数据 no new night to process under %s", drop_root)
        return None
    day, folder = pending
    wait_until_settled(folder, quiet_seconds)
    return nightly(extracts=str(folder), db=db, as_of=day.isoformat(), policy=policy)
