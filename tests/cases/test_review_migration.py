"""Review decisions kept in the warehouse before the case store are copied into it on the
next night, none lost, and still applied."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from pensionlink.flows.nightly import run_night
from pensionlink.synth import generate_night

from pensionlink.cases.store import case_store_location, open_case_store
from pensionlink.review_cli import record_review
from pensionlink.settings import Settings, load_policy
from pensionlink.warehouse.store import connect_database, write_warehouse

pytestmark = pytest.mark.slow
AS_OF = dt.date(2026, 11, 28)


def run(night: Path, db: Path) -> None:
    run_night(Settings(extracts=night, db=db, as_of=AS_OF, policy=load_policy(AS_OF)))


def test_warehouse_review_decisions_move_into_the_case_store(tmp_path: Path):
    night, db = tmp_path / "night", tmp_path / "pensionlink.duckdb"
    generate_night(night, people=4000, seed=21, as_of=AS_OF, noise=3.0)
    run(night, db)
    Path(case_store_location(db)).unlink()  # a warehouse from before the case store
    with connect_database(db) as con:
        items = con.execute(
            "SELECT review_id, source, line_no, person_id FROM review_queue "
            "WHERE person_id IS NOT NULL ORDER BY review_id LIMIT 2"
        ).fetchall()
    assert len(items) == 2, "the generated night should leave something to review"
    with write_warehouse(db) as warehouse:  # the way decisions were stored until now
        warehouse.record_decision(items[0][0], "accept", "王审核", "同一人")
        warehouse.record_decision(items[1][0], "reject", "李审核", None)
    # after the upgrade, before its first night, a reviewer decides a third item in the
    # case store: the warehouse's older decisions must still come across
    third = _third_item(db, {items[0][0], items[1][0]})
    record_review(db, third, "reject", "赵审核", None)
    run(night, db)
    with open_case_store(case_store_location(db)) as store:
        moved = store.review_decisions()
    assert sorted(moved.select("review_id", "decision", "decided_by", "note").rows()) == sorted(
        [
            (items[0][0], "accept", "王审核", "同一人"),
            (items[1][0], "reject", "李审核", None),
            (third, "reject", "赵审核", None),
        ]
    )
    assert all(len(k) == 16 for k in moved["person_key"])  # a key, not the ID
    with connect_database(db) as con:
        link = con.execute(
            "SELECT person_id, link_method FROM person_links WHERE source = ? AND line_no = ?",
            [items[0][1], items[0][2]],
        ).fetchone()
    assert link == (items[0][3], "reviewer")
    run(night, db)  # copied once
    with open_case_store(case_store_location(db)) as store:
        assert store.review_decisions().height == 3


def _third_item(db: Path, taken: set[str]) -> str:
    with connect_database(db) as con:
        ids = [r[0] for r in con.execute("SELECT review_id FROM review_queue").fetchall()]
    return next(i for i in ids if i not in taken)
