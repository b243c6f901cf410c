"""The nightly deployment's schedule and the `serve` command's checks (no server needed)."""

from __future__ import annotations

from pathlib import Path

from pensionlink.flows.deployments import nightly_deployment
from typer.testing import CliRunner

from pensionlink.cli import app


def test_deployment_runs_the_drop_root_flow_nightly(tmp_path: Path):
    d = nightly_deployment(tmp_path / "drops", tmp_path / "pl.duckdb", "30 1 * * *", 120)
    assert (d.flow_name, d.name) == ("pensionlink-drop-root", "nightly")
    ((schedule,),) = [[s.schedule for s in d.schedules]]
    assert (schedule.cron, schedule.timezone) == ("30 1 * * *", "Asia/Shanghai")
    assert d.parameters == {
        "drop_root": str((tmp_path / "drops").resolve()),
        "db": str((tmp_path / "pl.duckdb").resolve()),
        "quiet_seconds": 120,
    }


def test_serve_refuses_a_bad_cron_or_a_missing_drop_root(tmp_path: Path):
    runner = CliRunner()
    missing = runner.invoke(app, ["serve", "--drop-root", str(tmp_path / "x"), "--db", "a.duckdb"])
    assert missing.exit_code == 2 and "no such drop root" in missing.output
    bad = runner.invoke(
        app, ["serve", "--drop-root", str(tmp_path), "--db", "a.duckdb", "--cron", "nightly"]
    )
    assert bad.exit_code == 2 and "--cron" in bad.output


def test_serve_refuses_to_start_without_the_database_key(tmp_path: Path, monkeypatch):
    monkeypatch.delenv("PENSIONLINK_DB_KEY")
    result = CliRunner().invoke(app, ["serve", "--drop-root", str(tmp_path), "--db", "a.duckdb"])
    assert result.exit_code == 2 and "PENSIONLINK_DB_KEY_FILE" in result.output
