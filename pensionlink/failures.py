"""Failures a person can act on (运行失败): the one line a failed or stopped run prints,
the `runs.error` text, and SIGTERM / SIGINT turned into an orderly stop.

A run that fails or is stopped prints one line naming the stage, the file or folder and
the cause, and whether the published night is whole; never a value from the data (a
library's message might quote one, so only an exception's type, its errno and the
path it names are used). `runs.error` gets the same facts in a fixed form, e.g.
``publish: OSError ENOSPC No space left on device``.

Signals: Python's default SIGTERM ends the process at once — no `finally`, no `atexit`,
so Prefect's temporary API server (a `uvicorn` child started by `SubprocessASGIServer`,
stopped by an `atexit` hook) is left running. Inside `orderly_stop()` SIGTERM and SIGINT
raise `Stopped` instead, so every context manager exits: the staging copy is removed,
the lock released, the failed run recorded and the server stopped.
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "PERMANENT_ERRNOS",
    "Stopped",
    "cause_of",
    "errno_of",
    "error_text",
    "failure_line",
    "is_internal",
    "note_stage",
    "orderly_stop",
    "reached",
    "signal_of",
    "stop_leftover_servers",
]

# Errors that another try 10 s later will not mend: not retried.
PERMANENT_ERRNOS = frozenset(
    {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.ENOTDIR}
)

CAUSES = {
    errno.ENOSPC: "磁盘已满 no space left on device",
    errno.EDQUOT: "超出磁盘配额 disk quota exceeded",
    errno.EROFS: "只读文件系统 read-only file system",
    errno.EACCES: "无权限 permission denied",
    errno.EPERM: "不允许 operation not permitted",
    errno.ENOENT: "不存在 no such file or directory",
    errno.ENOTDIR: "不是目录 not a directory",
    errno.EISDIR: "是目录 is a directory",
    errno.EIO: "读写错误 input/output error",
}

STAGES = {
    "start": ("启动", "start-up"),
    "read": ("读取", "read"),
    "check": ("校验", "check"),
    "link": ("比对", "link"),
    "findings": ("核查", "findings"),
    "cases": ("案件", "cases"),
    "publish": ("发布", "publish"),
    "docs": ("校验报告", "Data Docs"),
    "analyst": ("分析库", "analysts' copy"),
    "report": ("报表", "reports"),
}


class Stopped(KeyboardInterrupt):
    """SIGTERM or SIGINT, raised where the program was, so everything unwinds in order.
    A `KeyboardInterrupt`, so Prefect and DuckDB treat it as they treat Ctrl-C."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


@dataclass(frozen=True)
class Reached:
    """How far a failed run got: the stage it was in and whether the night was published."""

    stage: str
    published: bool = False


_REACHED = "pensionlink_reached"


@contextlib.contextmanager
def orderly_stop() -> Iterator[list[int]]:
    """Within the block SIGTERM and SIGINT raise `Stopped`; yields the signals received
    (a library may wrap the exception, the list still says a signal came). Only in the
    main thread; elsewhere the block runs with the handlers as they are."""
    received: list[int] = []

    def stop(signum: int, _frame: object) -> None:
        received.append(signum)
        raise Stopped(signum)

    previous: dict[int, object] = {}
    try:
        for signum in (signal.SIGTERM, signal.SIGINT):
            previous[signum] = signal.signal(signum, stop)
    except ValueError:  # not the main thread
        pass
    try:
        yield received
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def note_stage(exc: BaseException, stage: str, published: bool = False) -> None:
    """Remember on the exception the stage it ended (the innermost note wins)."""
    if getattr(exc, _REACHED, None) is None:
        with contextlib.suppress(AttributeError, TypeError):
            setattr(exc, _REACHED, Reached(stage, published))


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception, then what caused it or was being handled, up to a few links."""
    seen: set[int] = set()
    todo: list[BaseException] = [exc]
    while todo and len(seen) < 16:
        current = todo.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        todo.extend(e for e in (current.__cause__, current.__context__) if e is not None)


def _is_duckdb(exc: BaseException) -> bool:
    """A DuckDB error (its classes live in the `_duckdb` module); no import needed."""
    return type(exc).__module__.lstrip("_").startswith("duckdb")


def reached(exc: BaseException) -> Reached:
    """The stage a failure ended (`start` when the run had not begun its stages)."""
    for current in _chain(exc):
        found = getattr(current, _REACHED, None)
        if isinstance(found, Reached):
            return found
    return Reached("start")


def errno_of(exc: BaseException) -> int | None:
    """The operating system's error number behind a failure: an `OSError`'s own, or one
    a DuckDB I/O error names in its message (matched against the known causes only)."""
    for current in _chain(exc):
        if isinstance(current, OSError) and current.errno:
            return current.errno
    for current in _chain(exc):
        if _is_duckdb(current):
            message = str(current)
            for number in CAUSES:
                if os.strerror(number) in message:
                    return number
    return None


def signal_of(exc: BaseException) -> int | None:
    """The signal that stopped the run: ours (`Stopped`), Prefect's `TerminationSignal`
    (its SIGTERM bridge during a flow run) or a plain Ctrl-C."""
    for current in _chain(exc):
        if isinstance(current, Stopped):
            return current.signum
        if type(current).__name__ == "TerminationSignal" and hasattr(current, "signal"):
            return int(current.signal)
        if isinstance(current, KeyboardInterrupt):
            return int(signal.SIGINT)
    return None


def _carrier(exc: BaseException, number: int) -> BaseException:
    for current in _chain(exc):
        if isinstance(current, OSError) and current.errno == number:
            return current
    return exc


def error_text(exc: BaseException, stage: str | None = None) -> str:
    """`runs.error` for a failure: the stage, then the signal, or the error's class with
    its errno name and the system's text — never the library's message."""
    stage = stage or reached(exc).stage
    if (signum := signal_of(exc)) is not None:
        return f"{stage}: {signal.Signals(signum).name} 已中断 stopped"
    if (number := errno_of(exc)) is not None:
        name = errno.errorcode.get(number, str(number))
        return f"{stage}: {type(_carrier(exc, number)).__name__} {name} {os.strerror(number)}"
    return f"{stage}: {type(exc).__name__}"


def _path_of(exc: BaseException) -> str | None:
    for current in _chain(exc):
        if isinstance(current, OSError) and current.filename:
            return os.fsdecode(current.filename)
    return None


def cause_of(exc: BaseException) -> str:
    """What went wrong, in the staff's words: the system's cause of an I/O error, a
    database error's type, or an internal error's type (never a library's message)."""
    number = errno_of(exc)
    if number is not None:
        return CAUSES.get(number, os.strerror(number))
    if _is_duckdb(exc):
        return f"数据库读写错误 database error ({type(exc).__name__})"
    return f"内部错误 internal error ({type(exc).__name__}; -v 显示详情 shows details)"


def is_internal(exc: BaseException) -> bool:
    """A failure that is neither an I/O error nor a signal: a bug to report (exit 1)."""
    return (
        signal_of(exc) is None
        and errno_of(exc) is None
        and not any(isinstance(e, OSError) for e in _chain(exc))
        and not _is_duckdb(exc)
    )


def failure_line(
    exc: BaseException, db: Path, where: dict[str, Path], signum: int | None = None
) -> str:
    """The one line for the console: what failed (stage, file or folder, cause) or which
    signal stopped the run, and what state the published night is in. `where` gives
    each stage's file or folder, used when the error names none."""
    state = reached(exc)
    zh, en = STAGES.get(state.stage, (state.stage, state.stage))
    signum = signum if signum is not None else signal_of(exc)
    path = None
    if signum is not None:
        head = f"已中断 stopped by {signal.Signals(signum).name} during {en} ({zh})"
    else:
        path = _path_of(exc) or where.get(state.stage) or db
        head = f"{zh}失败 {en} failed: {cause_of(exc)} ({path})"
    named = os.fspath(path) == os.fspath(db) if path is not None else False
    if state.published:
        tail = "本晚已完整发布 tonight's night is published whole" + ("" if named else f" in {db}")
        tail += f"; {zh}未完成 not finished"
    else:
        tail = "未发布 nothing published; "
        tail += "上一晚的结果完整保留 the last published night is unchanged"
        tail += "" if named else f" ({db})"
    return f"{head}; {tail}"


def stop_leftover_servers(timeout: float = 5.0) -> list[int]:
    """Stop any Prefect temporary API server this process started and still has
    (normally Prefect's `atexit` hook has stopped it; a signal at the wrong moment can
    leave one unregistered). Only direct children running Prefect's server app are
    touched. Returns their process ids. Linux (`/proc`) only; elsewhere nothing."""
    me = os.getpid()
    found: list[int] = []
    proc = Path("/proc")
    if not proc.is_dir():
        return found
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            if parent != me:
                continue
            command = (entry / "cmdline").read_bytes().split(b"\0")
        except (OSError, ValueError, IndexError):
            continue
        if b"uvicorn" in command and b"prefect.server.api.server:create_app" in command:
            found.append(int(entry.name))
    for pid in found:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    for pid in found:
        _reap(pid, timeout)
    return found


def _reap(pid: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            return
        if done:
            return
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)
