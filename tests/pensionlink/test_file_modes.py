"""Who may read what a night writes: the key file, the reports, the analysts' copy."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from pensionlink.cli import app
from pensionlink.file_modes import BadFileMode, file_mode
from pensionlink.reports import load_report_data, write_reports
from pensionlink.warehouse.database_key import MissingKey, database_key, new_key_file
from pensionlink.warehouse.store import open_warehouse, write_plain_database
from tests.pensionlink.tiny_warehouse import publish_night

runner = CliRunner()


def mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


@pytest.mark.parametrize("loose", [0o644, 0o640, 0o604, 0o660, 0o620])
def test_a_key_file_others_may_open_is_refused(tmp_path: Path, monkeypatch, loose: int):
    key_file = new_key_file(tmp_path / "db.key")
    os.chmod(key_file, loose)
    monkeypatch.delenv("PENSIONLINK_DB_KEY")
    monkeypatch.setenv("PENSIONLINK_DB_KEY_FILE", str(key_file))
    with pytest.raises(MissingKey) as err:
        database_key()
    assert f"chmod 600 {key_file}" in str(err.value) and f"{loose:03o}" in str(err.value)
    result = runner.invoke(app, ["run", "--extracts", str(tmp_path), "--db", str(tmp_path / "x")])
    assert result.exit_code == 2 and f"chmod 600 {key_file}" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    os.chmod(key_file, 0o600)
    assert len(database_key()) >= 16  # the demo's and `new-key`'s files: accepted


def test_file_mode_setting():
    assert file_mode({}) == 0o640
    assert file_mode({"PENSIONLINK_FILE_MODE": "600"}) == 0o600
    assert file_mode({"PENSIONLINK_FILE_MODE": " 0660 "}) == 0o660
    for bad in ("644", "777", "640x", "400", "750", "-1", "1640"):
        with pytest.raises(BadFileMode, match="PENSIONLINK_FILE_MODE"):
            file_mode({"PENSIONLINK_FILE_MODE": bad})


def test_a_bad_file_mode_stops_the_run_with_one_line(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("PENSIONLINK_FILE_MODE", "644")
    result = runner.invoke(app, ["run", "--extracts", str(tmp_path), "--db", str(tmp_path / "x")])
    assert result.exit_code == 2 and "PENSIONLINK_FILE_MODE='644'" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(("setting", "expected"), [(None, 0o640), ("600", 0o600)])
def test_reports_and_databases_get_the_deployments_mode(
    tmp_path: Path, monkeypatch, setting: str | None, expected: int
):
    if setting:
        monkeypatch.setenv("PENSIONLINK_FILE_MODE", setting)
    old = os.umask(0o022)  # a usual umask: files would otherwise be 0644
    try:
        db = tmp_path / "pensionlink.duckdb"
        publish_night(db, dt.date(2026, 11, 27), {"三合镇": 5}, dt.datetime(2026, 11, 27, 2))
        out = tmp_path / "reports"
        out.mkdir()
        (out / "三合镇_2026-11-27.xlsx").write_bytes(b"an earlier copy, 0644")
        with open_warehouse(db, read_only=True) as warehouse:
            files = write_reports(load_report_data(warehouse), out)
        analyst = tmp_path / "pensionlink-analyst.duckdb"
        write_plain_database(analyst, {"t": pl.DataFrame({"a": [1]})}, {})
        write_plain_database(analyst, {"t": pl.DataFrame({"a": [2]})}, {})  # replaced
    finally:
        os.umask(old)
    written = [*files.workbooks, files.summary, analyst, db]
    assert {p.name: mode(p) for p in written} == {p.name: expected for p in written}
