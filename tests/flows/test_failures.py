"""Failures a person can act on, for real: `pensionlink run` as a child process with an
unwritable or missing folder, a full disk (a real tmpfs when mounting is allowed) and
real SIGTERM / SIGINT at start-up, while reading and while publishing. Each asserts the
exit code, one `pensionlink:` line on stderr and no traceback, `runs.error` where a run
row can be written, the previous night whole, its Data Docs unchanged and no Prefect
server left behind."""

from __future__ import annotations

import errno
import hashlib
import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from pensionlink.warehouse.store import connect_database
from tests.flows import test_operations as ops

NEXT = "2026-11-29"  # the failing run is for the night after the published one
WHOLE = "上一晚的结果完整保留 the last published night is unchanged"
LOG_LINE = re.compile(r"^\d\d:\d\d:\d\d ")  # our progress lines: time, then the stage

# `pensionlink run` as the console runs it; with a pause point, the child stops there
# (touching a marker file) until a signal arrives. The pause is patched in here, in the
# child, not in the product.
CLI = """
import sys, time
from pathlib import Path
marker, point = sys.argv.pop(1), sys.argv.pop(1)
def pause():
    Path(marker).touch()
    while True:
        time.sleep(0.05)
if point == "read":
    import pensionlink.flows.nightly
    pensionlink.flows.nightly.read_night = lambda *args, **kwargs: pause()
elif point == "mid_publish":
    crash_at(point, marker)  # from test_operations.CRASH_AT
elif point == "enospc":  # a full disk at the last step of publishing, once
    import errno, os, pensionlink.warehouse.publication as publication
    real, calls = publication._fsync, []
    def fsync(path):
        calls.append(path)
        if len(calls) == 1:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        return real(path)
    publication._fsync = fsync
from pensionlink.cli import main
sys.argv[0] = "pensionlink"
main()
"""


def cli(*args: str, point: str = "none", marker: Path | None = None) -> subprocess.Popen:
    return ops.child(ops.CRASH_AT + CLI, str(marker or "-"), point, "run", *args)


def run_args(extracts: Path, db: Path) -> list[str]:
    return ["--extracts", str(extracts), "--db", str(db), "--as-of", NEXT]


def group_members(pgid: int) -> list[str]:
    """Processes still in a process group (the child's own session): pid and command."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[2]) == pgid and fields[0] != "Z":
            found.append(f"{entry.name} {command}")
    return found


def finish(proc: subprocess.Popen, timeout: float = 300) -> tuple[int, str]:
    """Wait for the child; then nothing of its process group may be left (anything
    found is killed, so no test leaves a process behind, and the test fails)."""
    try:
        _, err = proc.communicate(timeout=timeout)
    finally:
        time.sleep(0.5)
        left = group_members(proc.pid)
        if left:
            os.killpg(proc.pid, signal.SIGKILL)
    assert not left, f"left running: {left}"
    return proc.returncode, err


def one_line(stderr: str) -> str:
    """The single `pensionlink:` line; every other line is one of our progress lines."""
    assert "Traceback" not in stderr, stderr[-3000:]
    lines = [ln for ln in stderr.splitlines() if ln.strip()]
    ours = [ln for ln in lines if ln.startswith("pensionlink:")]
    assert len(ours) == 1, stderr[-3000:]
    assert all(ln in ours or LOG_LINE.match(ln) for ln in lines), stderr[-3000:]
    return ours[0]


def docs_digest(folder: Path) -> str:
    """The published Data Docs, file by file (a failed run's under failed/ aside)."""
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if path.is_file() and relative.parts[0] != "failed":
            digest.update(str(relative).encode() + path.read_bytes())
    return digest.hexdigest()


def findings(db: Path) -> dict:
    return {k: v for k, v in ops.state(db).items() if k != "runs"}


def runs(db: Path) -> list[tuple]:
    with connect_database(db) as con:
        return con.execute("SELECT run_id, status, error FROM runs ORDER BY run_id").fetchall()


@pytest.fixture(scope="module")
def base_night(sample_night: Path, tmp_path_factory) -> Path:
    """One published night (database and Data Docs), copied for each test."""
    db = tmp_path_factory.mktemp("failures") / "pensionlink.duckdb"
    ops.run(sample_night, db)
    assert (db.parent / "data-docs" / "index.html").is_file()
    return db


def place(base: Path, folder: Path) -> Path:
    shutil.copy(base, folder / base.name)
    shutil.copytree(base.parent / "data-docs", folder / "data-docs")
    return folder / base.name


@pytest.fixture
def db(base_night: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "live"
    folder.mkdir()
    return place(base_night, folder)


def mount_tmpfs(folder: Path, size: int) -> bool:
    folder.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
        capture_output=True,
    )
    return done.returncode == 0


def umount(folder: Path) -> None:
    subprocess.run(["umount", "-l", str(folder)], capture_output=True)


@pytest.mark.parametrize(
    ("moment", "signum", "group"),
    [
        ("start", signal.SIGTERM, False),  # while Prefect starts its temporary server
        ("read", signal.SIGINT, False),
        # Ctrl-C reaches the whole process group: the check's own process ends with the run
        ("read", signal.SIGINT, True),
        ("mid_publish", signal.SIGTERM, False),  # inside the publishing transaction
        ("mid_publish", signal.SIGINT, False),
    ],
)
def test_a_signal_stops_the_run_in_order(
    db: Path, sample_night: Path, tmp_path: Path, moment: str, signum: int, group: bool
):
    before, before_runs = findings(db), runs(db)
    docs = docs_digest(db.parent / "data-docs")
    marker = tmp_path / "paused"
    proc = cli(*run_args(sample_night, db), point=moment, marker=marker)
    deadline = time.monotonic() + 240
    seen = []
    if moment == "start":  # the line printed just before the flow (and its server) starts
        for line in proc.stderr:
            seen.append(line)
            if "运行 running night" in line:
                break
        time.sleep(1.0)
    else:
        while not marker.exists():
            assert proc.poll() is None, proc.communicate()[1][-3000:]
            assert time.monotonic() < deadline
            time.sleep(0.1)
        servers = [m for m in group_members(proc.pid) if "uvicorn" in m]
        assert servers, "the temporary Prefect server should be running by now"
    (os.killpg if group else os.kill)(proc.pid, signum)
    code, err = finish(proc)
    err = "".join(seen) + err
    assert code == 128 + signum, err[-3000:]
    if group:  # Prefect's temporary server got the signal too: its client's complaints
        assert "Traceback" not in err, err[-3000:]
        # (Prefect's "All connection attempts failed" ends without a newline)
        ours = [
            "pensionlink:" + ln.split("pensionlink:", 1)[1]
            for ln in err.splitlines()
            if "pensionlink:" in ln
        ]
        assert len(ours) == 1, err[-3000:]
        line = ours[0]
    else:
        line = one_line(err)
    assert signal.Signals(signum).name in line and WHOLE in line and str(db) in line
    assert findings(db) == before
    assert docs_digest(db.parent / "data-docs") == docs
    after = runs(db)
    if moment == "start":
        assert after == before_runs
    else:
        stage = "read" if moment == "read" else "publish"
        assert after[:-1] == before_runs
        (_, status, error) = after[-1]
        assert status == "failed"
        assert error == f"{stage}: {signal.Signals(signum).name} 已中断 stopped"
    failed_docs = db.parent / "data-docs" / "failed"
    assert failed_docs.is_dir() == (moment == "mid_publish")  # checked, then stopped
    assert not list((db.parent / "data-docs").glob(".staging-*"))


def test_a_full_disk_during_publish(base_night: Path, sample_night: Path, tmp_path: Path):
    """On a tmpfs just too small for the staging copy (or, where mounting is not
    allowed, with the first fsync of publishing failing with ENOSPC)."""
    folder = tmp_path / "small"
    docs_size = sum(p.stat().st_size for p in (base_night.parent / "data-docs").rglob("*"))
    size = base_night.stat().st_size * 3 // 2 + docs_size * 2 + 4 * 2**20
    real = mount_tmpfs(folder, size)
    try:
        db = place(base_night, folder)
        before, before_runs = findings(db), runs(db)
        docs = docs_digest(folder / "data-docs")
        proc = cli(*run_args(sample_night, db), point="none" if real else "enospc")
        code, err = finish(proc)
        assert code == 2, err[-3000:]
        line = one_line(err)
        assert "发布失败 publish failed: 磁盘已满 no space left on device" in line, line
        assert str(db) in line and WHOLE in line
        assert findings(db) == before
        assert docs_digest(folder / "data-docs") == docs
        after = runs(db)
        if real:  # no room even for the run's record: the history is as it was
            assert after == before_runs
            assert "运行记录未写入 could not record the failed run" in err
        else:
            assert after[:-1] == before_runs
            assert after[-1][1:] == ("failed", "publish: OSError ENOSPC No space left on device")
        assert not (folder / ".pensionlink.duckdb.staging").exists()
    finally:
        if real:
            umount(folder)


def test_an_unwritable_db_folder(db: Path, sample_night: Path, tmp_path: Path):
    folder = db.parent
    before = findings(db)
    if os.geteuid() == 0:  # root writes anywhere a permission allows: a read-only mount
        ro = tmp_path / "ro"
        ro.mkdir()
        if subprocess.run(["mount", "--bind", str(folder), str(ro)]).returncode != 0:
            pytest.skip("cannot make a read-only folder as root without mount")
        subprocess.run(["mount", "-o", "remount,bind,ro", str(ro)], check=True)
        target, cause = ro / db.name, "只读文件系统 read-only file system"
    else:
        folder.chmod(0o555)
        target, cause = db, "无权限 permission denied"
    try:
        code, err = finish(cli(*run_args(sample_night, target)))
    finally:
        if os.geteuid() == 0:
            umount(ro)
        else:
            folder.chmod(0o755)
    assert code == 2
    line = one_line(err)
    assert f"{target.parent}: --db 的目录不可写 the --db folder cannot be written ({cause})" in line
    assert findings(db) == before


def test_a_missing_db_folder(sample_night: Path, tmp_path: Path):
    target = tmp_path / "no-such-folder" / "pensionlink.duckdb"
    code, err = finish(cli(*run_args(sample_night, target)))
    assert code == 2
    line = one_line(err)
    assert f"{target.parent}: --db 的目录不存在 the --db folder does not exist" in line
    assert not target.parent.exists()  # not created: a mistyped path makes no new database


def test_a_missing_drop_folder(db: Path, tmp_path: Path):
    before = findings(db)
    code, err = finish(cli(*run_args(tmp_path / "2026-11-29", db)))
    assert code == 2
    assert "2026-11-29: no such drop folder" in one_line(err)
    assert findings(db) == before


def test_enospc_is_not_retried():
    from pensionlink.flows.nightly import transient_io

    class State:
        data = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    assert transient_io(None, None, State()) is False
    State.data = OSError(errno.ENOENT, os.strerror(errno.ENOENT))  # a share not mounted yet
    assert transient_io(None, None, State()) is True
