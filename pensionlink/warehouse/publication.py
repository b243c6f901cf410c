"""Atomic publication of the warehouse file (原子发布): readers never see half a night.

DuckDB lets one process write a file or many processes read it, never both (duckdb#1119),
and analysts may hold the live file open read-only at any hour. So no writer ever opens
the live file. Under an exclusive lock (`<db>.lock`, so two writers — a nightly run and a
reviewer's decision — never race), the live file is copied to a staging file beside it;
the writer changes the copy, checkpoints and closes it (no WAL left), the copy is synced
to disk, and `os.replace` puts it over the live path in one step. A reader that had the
old file open keeps reading the old night whole until it reconnects; a reader that
connects afterwards sees the new night whole.

Crash safety: until `os.replace`, the live file is untouched; after it, the new file is
complete. A run killed at any point leaves at most a staging file, which the next writer
removes under the lock before it starts. The lock is an `flock`, released by the kernel
when its process dies, so nothing needs clearing by hand.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

from pensionlink.file_modes import file_mode, restricted_file

__all__ = [
    "StagingFailed",
    "publish_folder",
    "set_aside_folder",
    "staged_database",
]

log = logging.getLogger(__name__)


class StagingFailed(OSError):
    """The staging copy could not be made (disk full, permissions)."""


def lock_path(db: Path) -> Path:
    return db.with_name(db.name + ".lock")


def staging_path(db: Path) -> Path:
    return db.with_name(f".{db.name}.staging")


@contextlib.contextmanager
def staged_database(db: Path) -> Iterator[Path]:
    """Yield a private copy of `db` to write; on a clean exit it replaces `db` atomically,
    on an exception it is thrown away and `db` is left as it was. The new file gets the
    deployment's file mode (`pensionlink.file_modes`, 0640 by default)."""
    db = Path(db)
    mode = file_mode()
    db.parent.mkdir(parents=True, exist_ok=True)
    with _exclusive(lock_path(db)):
        staging = staging_path(db)
        _remove_staging(staging)  # left by a run that was killed
        try:
            if db.exists():
                shutil.copyfile(db, restricted_file(staging, mode))
                wal = db.with_name(db.name + ".wal")
                if wal.exists():  # a file last written in place by an older version
                    shutil.copyfile(wal, staging.with_name(staging.name + ".wal"))
        except OSError as exc:
            _remove_staging(staging)
            raise StagingFailed(f"{db}: cannot make the staging copy ({exc})") from exc
        try:
            yield staging
            if staging.with_name(staging.name + ".wal").exists():
                raise RuntimeError("staging database still has a WAL: not checkpointed")
            os.chmod(staging, mode)
            _fsync(staging)
            os.replace(staging, db)
            # A WAL beside the live file belonged to the replaced file (copied and
            # checkpointed into the new one): left there it would be replayed onto it.
            db.with_name(db.name + ".wal").unlink(missing_ok=True)
            _fsync(db.parent)
        except BaseException:
            _remove_staging(staging)
            raise


@contextlib.contextmanager
def _exclusive(path: Path) -> Iterator[None]:
    with open(path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log.info("waiting for another writer of %s", path.name)
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _remove_staging(staging: Path) -> None:
    for leftover in (staging, staging.with_name(staging.name + ".wal")):
        leftover.unlink(missing_ok=True)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def publish_folder(staged: Path, live: Path, keep: tuple[str, ...] = ()) -> None:
    """Put a folder written aside (`staged`, inside or beside `live`) in place of the
    contents of `live`, after the night it belongs to was published. Entries named in
    `keep` and hidden ones (other runs' staging folders) stay. The old entries are moved
    out first and deleted last, so a crash leaves either set whole beside the other."""
    staged, live = Path(staged), Path(live)
    live.mkdir(parents=True, exist_ok=True)
    old = live / f".replaced-{staged.name.lstrip('.')}"
    shutil.rmtree(old, ignore_errors=True)
    old.mkdir()
    for entry in live.iterdir():
        if entry.name in keep or entry.name.startswith("."):
            continue
        entry.rename(old / entry.name)
    for entry in staged.iterdir():
        entry.rename(live / entry.name)
    staged.rmdir()
    shutil.rmtree(old, ignore_errors=True)


def set_aside_folder(staged: Path, target: Path) -> Path | None:
    """Move a failed run's folder (`staged`) to `target`, never over anything; returns
    where it went (None when there was nothing to move)."""
    staged, target = Path(staged), Path(target)
    if not staged.exists():
        return None
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        target = target.with_name(f"{target.name}-{time.strftime('%H%M%S')}")
    staged.rename(target)
    return target
