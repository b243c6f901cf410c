"""A throwaway PostgreSQL cluster for the case store's second backend.

initdb/pg_ctl from /usr/lib/postgresql/*/bin, run as an unprivileged user when the tests
run as root (PostgreSQL refuses root), socket and data in a temporary directory. Skipped
with the reason only where PostgreSQL cannot start."""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest


def _bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("pg_ctl")
    return Path(on_path).parent if on_path else None


def _as_user(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", "nobody", "--", *command]


@pytest.fixture(scope="session")
def postgres_server():
    """(socket directory, port) of a running cluster, stopped and removed afterwards."""
    bindir = _bin()
    if bindir is None:
        pytest.skip("PostgreSQL is not installed (no pg_ctl in /usr/lib/postgresql/*/bin)")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.skip("psycopg is not installed")
    root = Path(tempfile.mkdtemp(prefix="pensionlink-pg-"))
    data, sock = root / "data", root / "sock"
    sock.mkdir()
    if os.geteuid() == 0:
        os.chmod(root, 0o777)
        os.chmod(sock, 0o777)
    port = str(20000 + os.getpid() % 20000)
    log = root / "log"
    try:
        subprocess.run(
            _as_user(
                [
                    str(bindir / "initdb"),
                    "-D",
                    str(data),
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "-E",
                    "UTF8",
                    "--no-locale",
                ]
            ),
            check=True,
            capture_output=True,
            timeout=120,
        )
        subprocess.run(
            _as_user(
                [
                    str(bindir / "pg_ctl"),
                    "-D",
                    str(data),
                    "-l",
                    str(log),
                    "-w",
                    "-t",
                    "60",
                    "-o",
                    f"-k {sock} -p {port} -c listen_addresses=''",
                    "start",
                ]
            ),
            check=True,
            capture_output=True,
            timeout=120,
        )
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
        detail = getattr(exc, "stderr", b"") or b""
        shutil.rmtree(root, ignore_errors=True)
        pytest.skip(f"PostgreSQL could not start: {detail.decode(errors='replace')[-300:] or exc}")
    try:
        yield sock, port
    finally:
        with contextlib.suppress(Exception):
            subprocess.run(
                _as_user([str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
                capture_output=True,
                timeout=60,
            )
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres_server) -> str:
    """A fresh database on the throwaway cluster, as a postgresql:// URL."""
    import psycopg

    sock, port = postgres_server
    name = f"cases_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(
        host=str(sock), port=port, user="postgres", dbname="postgres", autocommit=True
    ) as con:
        con.execute(f"CREATE DATABASE {name}")
    return f"postgresql://postgres@/{name}?host={sock}&port={port}"


@pytest.fixture(params=["sqlite", "postgresql"])
def store_location(request, tmp_path) -> str:
    """Each backend of the case store in turn."""
    if request.param == "sqlite":
        return str(tmp_path / "pensionlink.duckdb.cases.sqlite")
    return request.getfixturevalue("postgres_url")
