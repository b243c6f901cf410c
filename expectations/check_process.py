"""The night's expectations in a process of their own (校验子进程).

Great Expectations is Python from end to end: run in a thread beside the linkage it holds
the interpreter most of the time, and the linkage — polars calls between Python steps —
waits for it at every step (measured at 150,000 people: linkage 1.3 s alone, 3.2 s beside
GX in a thread). A process of its own gives it the second core instead, and its import
(1–5 s) happens there while the extracts are read.

`CheckProcess()` starts the process at once (`python -m` this module: a process of its
own, not a fork — the flow's process has Prefect's threads — and not multiprocessing's
spawn, which would run the caller's main script again). `validate(frames, docs_dir)`
prepares the frames here (`validate.prepared_sources`: only the columns the suites name,
no ID, name or address — the process never sees one) and sends them down its stdin one
source at a time, the largest first (pickled: polars frames pickle as Arrow IPC). Each is
validated there and let go before the next comes, so the later, smaller ones reuse the
memory the first one freed: on a million-person night the process's peak was 1.10 GB
with the whole prepared night sent at once, 0.99 a source at a time in the night's order,
0.80 the largest first; it then stayed at 0.72 GB beside the linkage until it ended (GX
kept every dataframe, its allocators the pages), ≈ 0.46 GB since (`_ALLOCATORS`,
`_sources`). It replays the process's log lines here and returns `validate_night`'s
frame, its rows in the caller's order; the process then writes the Data Docs while the
night goes on (≈ 1.2 s at 150,000 people), and `docs_written()` waits for them. An error
comes back as it was raised (a `PrivacyError` stays one), once the whole night was sent.
One night, one check: the process ends after it, and with `close()` or the `with` block
in any case.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import logging
import os
import pickle
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any, BinaryIO, NoReturn

import polars as pl
from pensionlink.expectations.validate import NightValidator, prepared_sources, validate_night

__all__ = ["CheckHere", "CheckProcess", "CheckProcessFailed", "check_process_started"]

_LOGGER = "pensionlink"
#: The process's allocators give back what a source freed before the next comes (the
#: linkage beside it needs the memory more): polars' jemalloc at once, pyarrow's through
#: the system allocator. On a million-person night its memory after the payments went
#: 0.72 → ≈0.5 GB at no cost in CPU (glibc's big blocks as their own mappings,
#: `MALLOC_MMAP_THRESHOLD_`, would give 0.08 GB more for 1.3 s of CPU); `expectations.
#: validate` also lets GX's batch cache go.
_ALLOCATORS = {
    "_RJEM_MALLOC_CONF": "dirty_decay_ms:0,muzzy_decay_ms:0",
    "ARROW_DEFAULT_MEMORY_POOL": "system",
}


class CheckProcessFailed(RuntimeError):
    """The check's process ended without an answer (killed, or out of memory)."""


class CheckProcess:
    """A process that has imported GX and validates one night's prepared frames."""

    @classmethod
    def for_the_night(cls) -> CheckProcess:
        """The process the caller started for this night (`check_process_started`), else
        a new one."""
        started = _STARTED.get()
        return started if started is not None else cls()

    def __init__(self) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-P", "-m", __name__],  # -P: nothing of the cwd shadows
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env={**os.environ, **_ALLOCATORS},
        )
        self._docs_pending = False

    def validate(
        self, frames: Mapping[str, pl.DataFrame], docs_dir: Path | None = None
    ) -> pl.DataFrame:
        """`validate_night(frames)`, run in the process, which then writes the Data Docs
        into `docs_dir` (if given) while the night goes on: `docs_written` waits for them.
        Without `docs_dir` the process ends here."""
        largest_first = sorted(frames, key=lambda source: frames[source].height, reverse=True)
        try:
            self._send(docs_dir, prepared_sources({s: frames[s] for s in largest_first}))
            outcome, value = self._answer()
        except BaseException:
            self.close()
            raise
        if outcome == "error" or docs_dir is None:
            self.close()
        else:
            self._docs_pending = True
        if outcome == "error":
            raise value
        in_order = pl.DataFrame({"source": list(frames)}, schema={"source": pl.String})
        return in_order.join(value, on="source", maintain_order="left")  # the caller's order

    def docs_written(self) -> None:
        """Wait for the Data Docs the process is writing (see `validate`); raises what
        writing them raised (a `PrivacyError`, an `OSError`). Then the process ends."""
        if not self._docs_pending:
            return
        self._docs_pending = False
        try:
            outcome, value = self._answer()
        finally:
            self.close()
        if outcome == "error":
            raise value

    def _answer(self) -> tuple[str, Any]:
        outcome, value, records = self._receive()
        for record in records:
            logging.getLogger(record.name).handle(record)
        return outcome, value

    def _send(self, docs_dir: Path | None, sources: Iterator[tuple[str, pl.DataFrame]]) -> None:
        """The question: where the docs go, each source's prepared frame, then None. A
        source is prepared here when its turn comes, sent and let go: the pipe holds
        64 KiB, so sending waits while the process validates the one before, and
        neither process holds the whole prepared night at once."""
        stdin = self._process.stdin
        try:
            pickle.dump(docs_dir, stdin, protocol=pickle.HIGHEST_PROTOCOL)
            for source in sources:
                pickle.dump(source, stdin, protocol=pickle.HIGHEST_PROTOCOL)
                del source
            pickle.dump(None, stdin)
            stdin.close()
        except BrokenPipeError:
            self._failed()

    def _receive(self) -> tuple[str, Any, list[logging.LogRecord]]:
        try:
            return pickle.load(self._process.stdout)
        except (EOFError, pickle.UnpicklingError):
            self._failed()

    def _failed(self) -> NoReturn:
        self._process.wait()
        raise CheckProcessFailed(
            f"校验进程异常退出 the check's process ended ({self._process.returncode})"
        ) from None

    def close(self) -> None:
        """End the process (at once if it has not been asked yet)."""
        process = self._process
        if process.poll() is None and not process.stdin.closed:
            process.kill()
        for stream in (process.stdin, process.stdout):
            with contextlib.suppress(OSError):  # a question half sent to a dead process
                stream.close()
        process.wait()

    def __enter__(self) -> CheckProcess:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class CheckHere:
    """The same two steps in this process, GX in the caller's thread (the plain
    `flows.nightly.run_night` the tests call)."""

    def __init__(self) -> None:
        self._validator: NightValidator | None = None
        self._docs_dir: Path | None = None

    def validate(
        self, frames: Mapping[str, pl.DataFrame], docs_dir: Path | None = None
    ) -> pl.DataFrame:
        """`validate_night(frames)`; the Data Docs into `docs_dir` when `docs_written`."""
        self._validator, self._docs_dir = NightValidator(), docs_dir
        return self._validator.validate(frames)

    def docs_written(self) -> None:
        """Write the Data Docs of the night validated (if a folder was given)."""
        validator, self._validator = self._validator, None
        if validator is not None and self._docs_dir is not None:
            validator.build_docs(self._docs_dir)


_STARTED: ContextVar[CheckProcess | None] = ContextVar("pensionlink_check", default=None)


@contextmanager
def check_process_started() -> Iterator[None]:
    """Start the check's process now, for the night run inside the block to take
    (`CheckProcess.for_the_night`): GX then imports while the caller itself starts up
    (the command line: its imports and the flow run's creation, ≈ 2 s)."""
    process = CheckProcess()
    token = _STARTED.set(process)
    try:
        yield
    finally:
        _STARTED.reset(token)
        process.close()


class _Kept(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        record.msg, record.args = record.getMessage(), None  # plain text: it is pickled
        record.exc_info = None
        self.records.append(record)


def _serve() -> None:
    """The process: import GX, read one question from stdin, answer on stdout."""
    answers = sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing printed may reach the answer
    # Ctrl-C reaches the whole process group: the night decides, and ends this process
    # (`close`), instead of its traceback landing on the operator's console.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    validator = NightValidator()  # GX imported and its context made before the frames come
    kept = _Kept()
    logger = logging.getLogger(_LOGGER)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    logger.addHandler(kept)
    questions = sys.stdin.buffer
    try:
        docs_dir = pickle.load(questions)
    except EOFError:  # closed without a question: the night ended before its check
        return
    sources = _sources(questions)
    try:
        answer = ("ok", validate_night(sources, validator=validator, prepared=True))
    except Exception as exc:  # the caller raises it, once it has sent the whole night
        answer = ("error", exc)
    # The rest of the night, unread (the caller sends all of it before it reads the answer),
    # as bytes: whatever stopped the check, unpickling a frame included.
    with contextlib.suppress(OSError):
        while questions.read(1 << 20):
            pass
    _reply(answers, answer, kept)
    if docs_dir is None or answer[0] == "error":
        return
    try:  # while the night goes on: `CheckProcess.docs_written`
        answer = ("ok", validator.build_docs(docs_dir))
    except Exception as exc:
        answer = ("error", exc)
    _reply(answers, answer, kept)


def _sources(questions: BinaryIO) -> Iterator[tuple[str, pl.DataFrame]]:
    """The night's (source, prepared frame) pairs as they come, until None. After each,
    glibc's free heap goes back to the system (a million-person night: 0.07 GB less
    beside the linkage)."""
    trim = _heap_trim()
    while (source := pickle.load(questions)) is not None:
        yield source
        del source
        trim()


def _heap_trim() -> Callable[[], object]:
    """glibc's `malloc_trim(0)`, or nothing where there is no glibc."""
    try:
        trim = ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return lambda: None
    return functools.partial(trim, 0)


def _reply(answers: BinaryIO, answer: tuple[str, Any], kept: _Kept) -> None:
    """Send an answer with the log lines since the last one."""
    outcome, value = answer
    records, kept.records = kept.records, []
    try:
        reply = pickle.dumps((outcome, value, records), protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as exc:  # an exception that does not pickle: its type, then
        error = RuntimeError(f"{type(value).__name__} in the check ({type(exc).__name__})")
        reply = pickle.dumps(("error", error, records))
    try:
        answers.write(reply)
        answers.flush()
    except BrokenPipeError:  # the night stopped waiting (it ended, or was stopped)
        # nothing to say, and nothing left for the exit's flush to complain about
        os.dup2(os.open(os.devnull, os.O_WRONLY), answers.fileno())


if __name__ == "__main__":
    _serve()
