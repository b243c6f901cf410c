"""`cases act U… apply_advance` outside the advance's period (垫付政策不在执行期): refused
with one line naming the parameter and its end date, before the case store is touched."""

from __future__ import annotations

from typer.testing import CliRunner

from pensionlink.cli import app


def _act(tmp_path, on: str):
    db = tmp_path / "none.duckdb"  # holds no case
    args = ["cases", "act", "U000001", "apply_advance", "--by", "王经办", "--on", on]
    result = CliRunner().invoke(app, [*args, "--db", str(db)])
    return result


def test_apply_advance_after_the_period_is_refused_naming_the_parameter(tmp_path):
    result = _act(tmp_path, "2026-11-28")
    assert result.exit_code != 0
    line = result.output.strip()
    assert "\n" not in line and "Traceback" not in line
    assert line.startswith("pensionlink: 垫付政策不在执行期")
    assert "advance_cap until 2021-12-31" in line
    assert not list(tmp_path.iterdir())  # no case store opened


def test_apply_advance_on_the_last_day_is_not_refused_for_the_period(tmp_path):
    # `until` is inclusive: the request gets past the policy to the case store.
    result = _act(tmp_path, "2021-12-31")
    assert "垫付政策不在执行期" not in result.output
    assert "no case U000001" in result.output
