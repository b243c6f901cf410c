"""`pensionlink review`: list, show (masked, side by side), decide (stored with who)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest
from pensionlink.flows.nightly import run_night
from typer.testing import CliRunner

from pensionlink.cases.store import case_store_location, open_case_store
from pensionlink.cli import app
from pensionlink.settings import Settings, load_policy
from pensionlink.warehouse.store import write_warehouse

runner = CliRunner()
AS_OF = dt.date(2026, 11, 28)


@pytest.fixture(scope="module")
def db(sample_night: Path, tmp_path_factory) -> Path:
    """The sample night published, with one pair queued by hand."""
    db = tmp_path_factory.mktemp("review") / "pensionlink.duckdb"
    run_night(Settings(extracts=sample_night, db=db, as_of=AS_OF, policy=load_policy(AS_OF)))
    with write_warehouse(db) as warehouse:
        con = warehouse.con
        line_no, person = con.execute(
            'SELECT line_no, citizen_id FROM snapshots."death_certificates" '
            "WHERE citizen_id IS NOT NULL LIMIT 1"
        ).fetchone()
        con.execute(
            "INSERT INTO review_queue VALUES ('abc123', 'death_certificates', ?, 'k1', ?, "
            "0.93, 7.5, 0.91, ?, '同名同生日，候选难分', 'r1')",
            [line_no, person, "name_exact +3.2; birth_exact +6.1"],
        )
    return db


def test_list_and_show_mask_ids(db: Path):
    listed = runner.invoke(app, ["review", "list", "--db", str(db)])
    assert listed.exit_code == 0 and "abc123" in listed.stdout
    shown = runner.invoke(app, ["review", "show", "abc123", "--db", str(db)])
    assert shown.exit_code == 0, shown.output
    assert "birth_exact +6.1" in shown.stdout
    assert "**" in shown.stdout
    ids = [w for w in shown.stdout.split() if w[:6].isdigit() and len(w) == 18 and "*" not in w]
    assert ids == []


def test_decide_is_stored_with_who_and_leaves_the_list(db: Path):
    bad = runner.invoke(app, ["review", "decide", "abc123", "--by", "李"])
    assert bad.exit_code == 2
    missing = runner.invoke(
        app, ["review", "decide", "nope", "--accept", "--by", "李", "--db", str(db)]
    )
    assert missing.exit_code == 2 and "no review item" in missing.stderr
    done = runner.invoke(
        app,
        [
            "review",
            "decide",
            "abc123",
            "--reject",
            "--by",
            "李明",
            "--note",
            "生日不同",
            "--db",
            str(db),
        ],
    )
    assert done.exit_code == 0, done.output
    decisions = _stored(db)
    assert decisions.select("review_id", "decision", "decided_by", "note").row(0) == (
        "abc123",
        "reject",
        "李明",
        "生日不同",
    )
    listed = runner.invoke(app, ["review", "list", "--db", str(db)])
    assert "abc123" not in listed.stdout
    audit = runner.invoke(app, ["audit", "--db", str(db)])
    assert audit.exit_code == 0, audit.output
    (line,) = [ln for ln in audit.output.splitlines() if "review_decision" in ln]
    assert "李明" in line and "reject" in line and "abc123" in line
    assert any("  run  " in ln and "@" in ln for ln in audit.output.splitlines())


def _queue_item(db: Path, review_id: str, record_key: str) -> None:
    with write_warehouse(db) as warehouse:
        line_no, person = warehouse.con.execute(
            'SELECT line_no, citizen_id FROM snapshots."death_certificates" '
            "WHERE citizen_id IS NOT NULL LIMIT 1 OFFSET 1"
        ).fetchone()
        warehouse.con.execute(
            "INSERT INTO review_queue VALUES (?, 'death_certificates', ?, ?, ?, "
            "0.9, 7.0, 0.8, '', '同名同生日，候选难分', 'r1')",
            [review_id, line_no, record_key, person],
        )


def _stored(db: Path):
    """The review decisions, which the case store holds (issue 16)."""
    with open_case_store(case_store_location(db)) as store:
        return store.review_decisions()


def _decisions(db: Path, review_id: str) -> list[tuple]:
    found = _stored(db).filter(pl.col("review_id") == review_id)
    return found.select("decision", "decided_by").rows()


@pytest.mark.parametrize("by", ["", "   ", "\t"])
def test_decide_needs_a_reviewer(db: Path, by: str):
    _queue_item(db, f"noby{len(by)}", f"k-noby-{len(by)}")
    result = runner.invoke(
        app, ["review", "decide", f"noby{len(by)}", "--accept", "--by", by, "--db", str(db)]
    )
    assert result.exit_code == 2 and "--by" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert _decisions(db, f"noby{len(by)}") == []


def test_an_item_is_decided_once_per_fingerprint(db: Path):
    _queue_item(db, "twice1", "k-twice")
    decide = ["review", "decide", "twice1", "--db", str(db)]
    first = runner.invoke(app, [*decide, "--accept", "--by", " 王芳 "])
    assert first.exit_code == 0, first.output
    again = runner.invoke(app, [*decide, "--reject", "--by", "李明"])
    assert again.exit_code == 2
    (line,) = again.stderr.strip().splitlines()
    today = dt.date.today().isoformat()
    assert "already decided" in line and today in line and "王芳" in line
    assert _decisions(db, "twice1") == [("accept", "王芳")]  # stored stripped, once
