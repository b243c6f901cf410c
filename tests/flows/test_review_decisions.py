"""A reviewer's decision holds on later nights while the record is unchanged."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from pensionlink.flows.nightly import run_night
from pensionlink.synth import generate_night
from typer.testing import CliRunner

from pensionlink.cli import app
from pensionlink.settings import Settings, load_policy
from pensionlink.warehouse.store import connect_database

AS_OF = dt.date(2026, 11, 28)
# Sources whose last column is free text, so a test can change a record harmlessly.
FREE_TEXT_LAST = ("poverty", "assistance", "visits", "funeral", "death_certificates")


def run(night: Path, db: Path) -> None:
    run_night(Settings(extracts=night, db=db, as_of=AS_OF, policy=load_policy(AS_OF)))


def link_of(db: Path, source: str, line_no: int) -> tuple:
    with connect_database(db) as con:
        return con.execute(
            "SELECT person_id, link_method FROM person_links WHERE source = ? AND line_no = ?",
            [source, line_no],
        ).fetchone()


def test_decision_is_applied_next_night_and_dropped_when_the_record_changes(tmp_path):
    night, db = tmp_path / "night", tmp_path / "pensionlink.duckdb"
    generate_night(night, people=4000, seed=21, as_of=AS_OF, noise=3.0)
    run(night, db)
    with connect_database(db) as con:
        item = con.execute(
            "SELECT review_id, source, line_no, person_id FROM review_queue "
            "WHERE source IN (SELECT unnest(?)) ORDER BY review_id LIMIT 1",
            [list(FREE_TEXT_LAST)],
        ).fetchone()
    assert item is not None, "the generated night should leave something to review"
    review_id, source, line_no, person = item
    decided = CliRunner().invoke(
        app, ["review", "decide", review_id, "--accept", "--by", "王审核", "--db", str(db)]
    )
    assert decided.exit_code == 0, decided.output

    run(night, db)
    assert link_of(db, source, line_no) == (person, "reviewer")

    file = next(p for p in night.rglob("*.csv") if p.parent.name != "truth" and _is(p, source))
    encoding = "gb18030" if file.parent.name in ("public_security", "poverty") else "utf-8-sig"
    lines = file.read_text(encoding=encoding).splitlines(keepends=True)
    row = lines[line_no - 1]
    lines[line_no - 1] = row.rstrip("\r\n") + "甲" + row[len(row.rstrip("\r\n")) :]
    file.write_text("".join(lines), encoding=encoding)
    run(night, db)
    assert link_of(db, source, line_no)[1] != "reviewer"


def _is(path: Path, source: str) -> bool:
    from pensionlink.connectors import load_specs

    return path.with_suffix("").as_posix().endswith(load_specs()[source].path)
