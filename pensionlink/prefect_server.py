"""A Prefect server for a series of runs (调度服务), as the data bureau runs one.

Without `PREFECT_API_URL`, every `pensionlink run` starts Prefect's temporary API in a
process of its own and waits for it (≈ 13 s on this machine's two cores, more than the
whole of a 150,000-person night's linkage). Where the bureau schedules the night, its
Prefect server is already running; `pensionlink bench --prefect-server` measures the
night that way: `running_server` starts one (`prefect server start`, its database in a
folder of its own, no UI, no background services), waits until its API answers, points
`PREFECT_API_URL` at it for this process and the runs it starts, and stops it after.
Nothing of the nightly path imports this module.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from pensionlink.offline import OFFLINE_ENVIRONMENT

__all__ = ["ServerFailed", "running_server"]

_START_TIMEOUT = 180.0
_SERVER_ARGUMENTS = ("server", "start", "--host", "127.0.0.1", "--no-services", "--no-ui")


class ServerFailed(RuntimeError):
    """The Prefect server did not answer in time, or stopped; the message says which and
    where its log is."""


def _free_port() -> int:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _prefect_command() -> list[str]:
    script = Path(sys.executable).with_name("prefect")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "prefect"]


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


@contextlib.contextmanager
def running_server(home: Path) -> Iterator[float]:
    """A Prefect server with its home (database, log) in `home`; yields the seconds it
    took to answer. `PREFECT_API_URL` points at it inside the block, as before after."""
    home.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    url = f"http://127.0.0.1:{port}/api"
    env = {
        **os.environ,
        **{k: os.environ.get(k, v) for k, v in OFFLINE_ENVIRONMENT.items()},
        "PREFECT_HOME": str(home),
        "PREFECT_UI_ENABLED": "false",
    }
    env.pop("PREFECT_API_URL", None)
    log_path = home / "server.log"
    t0 = time.perf_counter()
    with open(log_path, "w", encoding="utf-8") as log:
        server = subprocess.Popen(
            [*_prefect_command(), *_SERVER_ARGUMENTS, "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    before = os.environ.get("PREFECT_API_URL")
    try:
        while not _answers(url):
            if server.poll() is not None:
                raise ServerFailed(f"Prefect server exited {server.returncode}; see {log_path}")
            if time.perf_counter() - t0 > _START_TIMEOUT:
                raise ServerFailed(
                    f"Prefect server not up in {_START_TIMEOUT:.0f} s; see {log_path}"
                )
            time.sleep(0.2)
        started = time.perf_counter() - t0
        os.environ["PREFECT_API_URL"] = url
        yield started
    finally:
        if before is None:
            os.environ.pop("PREFECT_API_URL", None)
        else:
            os.environ["PREFECT_API_URL"] = before
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
