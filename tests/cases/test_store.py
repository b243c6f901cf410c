"""The case store on both backends: schema version, append-only events, the night's one
transaction keyed by run_id, back-fills, review decisions, and another process's
decision while a night writes."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import polars as pl
import pytest

from pensionlink.cases.lifecycle import CANDIDATE_SCHEMA, FACT_SCHEMA, night_changes
from pensionlink.cases.machine import Request, step
from pensionlink.cases.store import CaseStore, Statement, migrations, open_case_store

D1, D2 = dt.date(2026, 11, 1), dt.date(2026, 11, 2)
AT = dt.datetime(2026, 11, 2, 1, 0)


def candidates(*people: str) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {
                "kind": "death",
                "basis": "death",
                "person_key": p,
                "fingerprint": "f",
                "state": "confirmed",
                "amount_due_fen": None,
                "to_recover_fen": 0,
            }
            for p in people
        ],
        schema=CANDIDATE_SCHEMA,
    )


def night(store: CaseStore, run: str, day: dt.date, *people: str):
    none = pl.DataFrame(schema=FACT_SCHEMA)
    return store.write_night(
        run, day, lambda cases: night_changes(cases, candidates(*people), none, run, day, AT)
    )


def test_schema_version_and_append_only_events(store_location):
    with open_case_store(store_location) as store:
        assert store.schema_version() == len(migrations(store.dialect))
        night(store, "r1", D1, "k1")
        assert store.events()["action"].to_list() == ["opened"]
        store.record_review(
            {
                "review_id": "a",
                "source": "funeral",
                "record_key": "r1",
                "person_key": "k1",
                "decision": "accept",
                "decided_by": "王",
                "note": None,
            }
        )
        for sql in (
            "UPDATE case_events SET note = 'x'",
            "DELETE FROM case_events",
            "DELETE FROM review_decisions",
        ):
            with pytest.raises(Exception, match="append-only"):
                store._db.execute(Statement(sql))
    with open_case_store(store_location) as store:  # reopened: no migration runs twice
        assert store.schema_version() == len(migrations(store.dialect))
        assert store.events().height == 1
        assert store.review_decisions().height == 1


def test_the_same_run_writes_once_and_a_backfill_moves_nothing(store_location):
    with open_case_store(store_location) as store:
        assert night(store, "r2", D2, "k1", "k2") is not None
        assert night(store, "r2", D2, "k1", "k2", "k3") is None  # run already written
        assert night(store, "r1", D1, "k9") is None  # an older night: recorded, no case moved
        assert store.cases()["person_key"].to_list() == ["k1", "k2"]
        nights = store.nights()
        assert nights.select("run_id", "moved").rows() == [("r1", 0), ("r2", 1)]


def test_an_action_is_recorded_with_its_event(store_location):
    with open_case_store(store_location) as store:
        night(store, "r1", D1, "k1")
        _new, _ = store.act("D000001", lambda c: step(c, Request("notify", "王经办", on=D2), 15))
        assert store.case("D000001")["state"] == "notified"
        assert store.case("D000001")["objection_until"] == "2026-11-17"
        events = store.events("D000001")
        assert events["action"].to_list() == ["opened", "notify"]
        assert events["by_name"].to_list() == ["system", "王经办"]
        with pytest.raises(LookupError, match="no case D000999"):
            store.act("D000999", lambda c: step(c, Request("notify", "王经办"), 15))


def test_review_decisions_imported_once_none_lost(store_location):
    older = pl.DataFrame(
        {
            "review_id": ["a", "b"],
            "source": ["funeral", "visits"],
            "record_key": ["r1", "r2"],
            "person_key": ["k1", None],
            "decision": ["accept", "reject"],
            "decided_by": ["王", "李"],
            "decided_at": ["2026-10-01T10:00:00", "2026-10-02T10:00:00"],
            "note": [None, "不是同一人"],
        }
    )
    with open_case_store(store_location) as store:
        assert store.import_reviews(older) == 2
        assert store.import_reviews(older) == 0
        got = store.review_decisions()
        assert got.select("review_id", "person_key", "note").rows() == [
            ("a", "k1", None),
            ("b", None, "不是同一人"),
        ]
        with pytest.raises(LookupError, match="already decided"):
            store.record_review(
                {
                    "review_id": "a",
                    "source": "funeral",
                    "record_key": "r1",
                    "person_key": "k1",
                    "decision": "reject",
                    "decided_by": "赵",
                    "note": None,
                }
            )


CHILD = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from pensionlink.cases.machine import Request, step
    from pensionlink.cases.store import open_case_store
    location, started = sys.argv[1], Path(sys.argv[2])
    with open_case_store(location) as store:
        started.write_text("acting")
        store.act("D000001", lambda c: step(c, Request("notify", "王经办"), 15))
    print("recorded")
    """
)


def test_a_decision_written_while_a_night_writes_is_not_lost(store_location, tmp_path: Path):
    with open_case_store(store_location) as store:
        night(store, "r1", D1, "k1", "k2")
    started = tmp_path / "started"
    child: list[subprocess.Popen] = []

    def lifecycle(cases):
        # Inside the night's transaction: another process starts recording a decision.
        child.append(
            subprocess.Popen(
                [sys.executable, "-c", CHILD, store_location, started],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=os.environ.copy(),
            )
        )
        while not started.exists() and child[0].poll() is None:
            time.sleep(0.01)
        return night_changes(
            cases, candidates("k1", "k2", "k3"), pl.DataFrame(schema=FACT_SCHEMA), "r2", D2, AT
        )

    with open_case_store(store_location) as store:
        assert store.write_night("r2", D2, lifecycle) is not None
    _out, err = child[0].communicate(timeout=120)
    assert child[0].returncode == 0, err.decode()
    with open_case_store(store_location) as store:
        cases = store.cases()
        events = store.events()
    assert cases.select("case_id", "state", "last_seen_run").rows() == [
        ("D000001", "notified", "r2"),
        ("D000002", "confirmed", "r2"),
        ("D000003", "confirmed", "r2"),
    ]
    assert events.filter(pl.col("case_id") == "D000001")["action"].to_list() == ["opened", "notify"]


def test_a_case_to_verify_keeps_tonights_evidence(store_location):
    """The evidence a clerk verifies is tonight's: the night's new fingerprint is stored."""
    none = pl.DataFrame(schema=FACT_SCHEMA)

    def review(fp: str) -> pl.DataFrame:
        return candidates("k1").with_columns(fingerprint=pl.lit(fp), state=pl.lit("to_verify"))

    with open_case_store(store_location) as store:
        for run, day, fp in (("r1", D1, "old"), ("r2", D2, "new")):
            store.write_night(
                run,
                day,
                lambda cases, r=run, d=day, f=fp: night_changes(cases, review(f), none, r, d, AT),
            )
        assert store.cases()["fingerprint"].to_list() == ["new"]
