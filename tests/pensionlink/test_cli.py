"""The command line: one plain line for a bad delivery, synthetic nights on request."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from pensionlink.cli import app
from pensionlink.warehouse.store import connect_database

runner = CliRunner()


def test_rejected_hukou_is_one_line_and_exit_2(sample_night: Path, tmp_path, prefect_api):
    night = tmp_path / "night"
    shutil.copytree(sample_night, night)
    (night / "public_security" / "hukou.csv").write_text("姓名,性别\n金,男\n", encoding="utf-8")
    db = tmp_path / "pensionlink.duckdb"
    result = runner.invoke(
        app, ["run", "--extracts", str(night), "--db", str(db), "--as-of", "2026-11-28"]
    )
    assert result.exit_code == 2
    lines = [ln for ln in result.stderr.splitlines() if ln.startswith("pensionlink:")]
    assert len(lines) == 1
    assert "hukou.csv" in lines[0] and "公民身份号码" in lines[0]
    assert "Traceback" not in result.output
    with connect_database(db) as con:  # nothing published, run recorded
        assert con.execute("SELECT count(*) FROM coverage_by_area").fetchone() == (0,)
        assert con.execute("SELECT status FROM runs").fetchall() == [("failed",)]


def test_bad_dates_and_folders_are_one_line(tmp_path):
    result = runner.invoke(
        app, ["run", "--extracts", str(tmp_path), "--db", "x", "--as-of", "28/11"]
    )
    assert result.exit_code == 2 and "YYYY-MM-DD" in result.stderr
    result = runner.invoke(app, ["run", "--extracts", str(tmp_path / "no"), "--db", "x"])
    assert result.exit_code == 2 and "no such drop folder" in result.stderr


def test_generate_writes_a_night_with_truth(tmp_path):
    out = tmp_path / "night"
    result = runner.invoke(app, ["generate", "--out", str(out), "--people", "600", "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert (out / "public_security" / "hukou.csv").is_file()
    assert (out / "truth" / "deaths_to_deregister.csv").is_file()


def test_generate_noise_zero_is_clean_and_negative_noise_refused(tmp_path):
    out = tmp_path / "night"
    args = ["generate", "--out", str(out), "--people", "600", "--seed", "3"]
    assert runner.invoke(app, [*args, "--noise", "0"]).exit_code == 0
    histories = (out / "truth" / "contradictory_histories.csv").read_text("utf-8")
    assert histories.splitlines() == ["citizen_id,pension_no,kind,death_case"]
    result = runner.invoke(app, [*args, "--noise", "-1"])
    assert result.exit_code == 2 and "--noise" in result.stderr
    result = runner.invoke(app, ["evaluate", "--night", str(out), "--db", str(tmp_path / "x.db")])
    assert result.exit_code == 2 and "no such database" in result.stderr
    assert "Traceback" not in result.output


def test_bad_files_after_a_good_night_are_named_and_stood_in_for(
    sample_night: Path, tmp_path, prefect_api
):
    db = tmp_path / "pensionlink.duckdb"
    args = ["run", "--db", str(db), "--as-of", "2026-11-28", "--extracts"]
    assert runner.invoke(app, [*args, str(sample_night)]).exit_code == 0
    night = tmp_path / "night"
    shutil.copytree(sample_night, night)
    roster = night / "social_security" / "resident_roster.csv"
    roster.write_text(roster.read_text("utf-8").replace("个人编号", "人员编号", 1), "utf-8")
    hukou = night / "public_security" / "hukou.csv"
    data = hukou.read_bytes()
    hukou.write_bytes(data[: len(data) // 2] + b"\xff\xfe\x81")
    (night / "medical_insurance" / "enrollment.csv").unlink()
    result = runner.invoke(app, [*args, str(night)])
    assert result.exit_code == 0, result.output
    lines = [ln for ln in result.stdout.splitlines() if "未读取 not read" in ln]
    assert len(lines) == 3
    assert all("上次有效数据" in ln for ln in lines)
    assert any("resident_roster" in ln and "个人编号" in ln for ln in lines)


def test_dask_options_that_do_not_fit_are_one_line(tmp_path):
    base = ["run", "--extracts", str(tmp_path), "--db", str(tmp_path / "x.duckdb")]
    result = runner.invoke(app, [*base, "--dask", "tcp://127.0.0.1:8786", "--workers", "2"])
    assert result.exit_code == 2 and "--dask ADDRESS or --workers N" in result.stderr
    result = runner.invoke(app, [*base, "--partitions", "4"])
    assert result.exit_code == 2 and "needs --dask or --workers" in result.stderr
    assert "Traceback" not in result.output


def test_a_run_in_one_process_never_loads_dask():
    code = (
        "import sys; import pensionlink.cli, pensionlink.flows.nightly; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('dask', 'distributed', 'prefect_dask')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
