"""File modes of what a night writes (文件权限): reports and databases are not for everyone.

The reports (xlsx, html) hold names and masked IDs and the analysts' copy de-identified
findings; both are written readable by their owner and group only. The deployment sets
the mode with `PENSIONLINK_FILE_MODE` (octal, e.g. `600` or `640`; default `640`): read
when a command starts writing, never from the data. A mode that gives anything to
others, or executes, or does not let the owner read and write, is refused with one line.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

__all__ = ["DEFAULT_FILE_MODE", "FILE_MODE_ENV", "BadFileMode", "file_mode", "restricted_file"]

FILE_MODE_ENV = "PENSIONLINK_FILE_MODE"
DEFAULT_FILE_MODE = 0o640
_ALLOWED = 0o660  # owner and group read/write at most: nothing for others, no execute
_OWNER = 0o600


class BadFileMode(ValueError):
    """`PENSIONLINK_FILE_MODE` is not an acceptable mode."""


def file_mode(environ: Mapping[str, str] | None = None) -> int:
    """The mode for written reports and databases, from `PENSIONLINK_FILE_MODE`."""
    env = os.environ if environ is None else environ
    text = (env.get(FILE_MODE_ENV) or "").strip()
    if not text:
        return DEFAULT_FILE_MODE
    try:
        mode = int(text, 8)
    except ValueError:
        mode = -1
    if mode < 0 or mode & ~_ALLOWED or mode & _OWNER != _OWNER:
        raise BadFileMode(
            f"{FILE_MODE_ENV}={text!r}: expected an octal file mode such as 600 or 640 "
            "(owner read/write, nothing for others, no execute)"
        )
    return mode


def restricted_file(path: Path, mode: int) -> Path:
    """Create `path` (or keep it) with exactly `mode`, before its content is written, so
    it is never readable by others even for a moment; returns the path."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, mode)
    os.close(fd)
    os.chmod(path, mode)
    return path
