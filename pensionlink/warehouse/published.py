"""The latest published night, read while others work (最新已发布数据，只读).

The desk reads the warehouse for every page while a night may be publishing. DuckDB lets
a file have one writer or many readers, and publication never opens the live file for
writing: it writes a staged copy and `os.replace`s it over the live path
(`pensionlink.warehouse.publication`). So a reader holding the live file read-only never
blocks a night; it keeps reading the night it opened, whole, until it looks again.

`LatestNight` keeps one read-only connection per published file (known by its inode and
modification time): each read checks the path, and when a new night replaced the file it
opens the new one; the old connection is closed once the last reader of it is done. Each
reader gets its own cursor (DuckDB connections are not shared between threads). Frames
that every page needs (the cases and who they are about) are computed once per file.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb

from pensionlink.warehouse.store import Warehouse, connect_database

__all__ = ["FileCache", "LatestNight", "NoNightYet"]

log = logging.getLogger(__name__)


class NoNightYet(LookupError):
    """No night has been published into the database yet."""


class FileCache(dict):
    """Frames computed once per published file; `lock` makes one reader compute a frame
    while the others wait for it (twenty staff opening the desk at once compute it once)."""

    def __init__(self) -> None:
        super().__init__()
        self.lock = threading.Lock()


class _OpenFile:
    """One published file, open read-only, with the frames computed from it."""

    def __init__(self, path: Path, identity: tuple[int, int, int]) -> None:
        self.identity = identity
        self.con = connect_database(path, read_only=True)
        self.readers = 0
        self.replaced = False
        self.cache = FileCache()

    def close_if_done(self) -> None:
        if self.replaced and self.readers == 0:
            with contextlib.suppress(duckdb.Error):
                self.con.close()


class LatestNight:
    """Read-only access to whatever night is published at `db` now."""

    def __init__(self, db: Path) -> None:
        self.db = Path(db)
        self._lock = threading.Lock()
        self._open: _OpenFile | None = None
        self._opening = False  # a reader is opening a newly published file

    def _identity(self) -> tuple[int, int, int]:
        try:
            st = os.stat(self.db)
        except FileNotFoundError:
            raise NoNightYet(f"{self.db.name}: 尚无已发布数据 no night published yet") from None
        return (st.st_ino, st.st_mtime_ns, st.st_size)

    def _current(self) -> _OpenFile:
        """The file to read now. A new night is opened by one reader, outside the lock;
        meanwhile the others go on reading the night before (whole), never waiting."""
        identity = self._identity()
        with self._lock:
            current = self._open
            if current is not None and (current.identity == identity or self._opening):
                current.readers += 1
                return current
            self._opening = True
        try:
            fresh = _OpenFile(self.db, identity)
        finally:
            with self._lock:
                self._opening = False
        with self._lock:
            if self._open is not None:
                log.info("a new night was published: reading %s anew", self.db.name)
                self._open.replaced = True
                self._open.close_if_done()
            self._open = fresh
            fresh.readers += 1
            return fresh

    def _release(self, opened: _OpenFile) -> None:
        with self._lock:
            opened.readers -= 1
            opened.close_if_done()

    @contextlib.contextmanager
    def read(self) -> Iterator[tuple[Warehouse, FileCache, str]]:
        """The published night: a warehouse on its own cursor, the file's cache (frames
        computed once per published file; use `cached`) and the file's identity."""
        opened = self._current()
        cursor = opened.con.cursor()
        try:
            cursor.execute("USE warehouse")
            yield Warehouse(cursor), opened.cache, "-".join(map(str, opened.identity))
        finally:
            cursor.close()
            self._release(opened)

    def cached(self, cache: FileCache, name: str, compute: Callable[[], Any]) -> Any:
        """`compute()` once per published file under `name`."""
        with cache.lock:
            if name not in cache:
                cache[name] = compute()
            return cache[name]

    def close(self) -> None:
        with self._lock:
            if self._open is not None:
                self._open.replaced = True
                self._open.close_if_done()
                self._open = None
