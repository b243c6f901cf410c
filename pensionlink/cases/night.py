"""The night's side of the case store (案件库夜间读写): what the nightly flow calls.

Before the findings: the staff's decisions (`staff_decisions`) and the clerical-review
decisions (`review_decisions`, moved here from the warehouse: copied in on first open).
After them: `write_night_cases` — the lifecycle in the night's one short transaction,
and the `cases` / `case_events` frames the warehouse publishes.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import time
from collections.abc import Callable
from pathlib import Path

import polars as pl

from pensionlink.cases.advance import (
    MONTH_ACTIONS,
    advance_ledger,
    advance_payments,
    reconcile,
    roster_pensions,
)
from pensionlink.cases.candidates import night_candidates, roster_facts
from pensionlink.cases.decisions import case_decisions
from pensionlink.cases.keys import PersonKeys, person_keys
from pensionlink.cases.lifecycle import night_changes
from pensionlink.cases.store import case_store_location, open_case_store
from pensionlink.cases.worklist import identities, warehouse_cases
from pensionlink.settings import Policy, load_policy

__all__ = [
    "decisions_mark",
    "review_decisions",
    "staff_decisions",
    "write_night_cases",
]

log = logging.getLogger(__name__)
_REVIEW_SCHEMA = {
    "source": pl.String,
    "record_key": pl.String,
    "person_id": pl.String,
    "decision": pl.String,
}


def decisions_mark(db: Path) -> int:
    """The last event recorded so far (read before the night's decisions): a case with a
    staff event after it was acted on while the night ran (`night_changes`' `hold`)."""
    with open_case_store(case_store_location(db)) as store:
        return store.last_event_id()


def staff_decisions(db: Path) -> pl.DataFrame:
    """The decisions that change tonight's findings (`decisions.case_decisions`)."""
    with open_case_store(case_store_location(db)) as store:
        return case_decisions(store.cases(), store.events())


def review_decisions(
    db: Path,
    hukou_ids: pl.Series,
    warehouse_decisions: Callable[[], pl.DataFrame],
    key: bytes | PersonKeys,
) -> pl.DataFrame:
    """Every clerical-review decision, oldest first, with the candidate's citizen ID
    (`person_id`) mapped back from its key through tonight's hukou IDs. The warehouse's
    decisions from before the case store (`warehouse_decisions()`, with `person_id`) are
    copied in the first time, none lost. `key`: the person keys' HMAC key."""
    with open_case_store(case_store_location(db)) as store:
        older = warehouse_decisions()
        if older.height:
            copied = store.import_reviews(
                older.with_columns(person_key=person_keys(older["person_id"], key)).with_columns(
                    pl.col("decided_at").cast(pl.String)
                )
            )
            if copied:
                log.info(
                    "复核决定迁入案件库 review decisions copied into the case store: %d", copied
                )
        stored = store.review_decisions()
    spine = pl.DataFrame({"person_id": hukou_ids.drop_nulls().unique()})
    spine = spine.with_columns(person_keys(spine["person_id"], key))
    return (
        stored.join(spine, on="person_key", how="left")
        .select(list(_REVIEW_SCHEMA))
        .cast(_REVIEW_SCHEMA)
    )


def write_night_cases(
    db: Path,
    run_id: str,
    as_of: dt.date,
    tables: dict[str, pl.DataFrame],
    linked: dict[str, pl.DataFrame],
    key: bytes | PersonKeys,
    mark: int | None = None,
    policy: Policy | None = None,
) -> dict[str, pl.DataFrame]:
    """Move the cases for tonight (one short transaction keyed by run_id; a back-filled
    night moves none) and return the warehouse's `cases` and `case_events`. `mark`
    (`decisions_mark`, read before the decisions): cases staff acted on after it are held.
    `policy`: the night's (its file gives the funeral subsidy in force on a date of death;
    default the bundled one)."""
    started = time.perf_counter()
    policy = policy or load_policy(as_of)
    candidates = night_candidates(tables, key, policy.value_on("funeral_subsidy"))
    facts = roster_facts(linked, key)
    at = dt.datetime.now()
    roster = functools.cache(lambda: roster_pensions(linked, key))  # only for advances
    with open_case_store(case_store_location(db)) as store:
        if store.last_number("advance"):
            roster()  # keyed before the night's transaction, which stays short

        def lifecycle(cases: pl.DataFrame):
            # read inside the night's transaction: nothing slips by
            hold = store.staff_cases_after(mark) if mark is not None else frozenset()
            changes = night_changes(cases, candidates, facts, run_id, as_of, at, hold)
            advances = cases.filter(pl.col("kind") == "advance")
            if advances.is_empty():
                return changes
            counted = store.months_read("advance", MONTH_ACTIONS)  # 垫付台账: months read
            people = advances["person_key"].unique()
            payments = advance_payments(linked.get("pension_payments"), roster(), people)
            return changes.then(reconcile(cases, counted, payments, run_id, as_of, at))

        changes = store.write_night(run_id, as_of, lifecycle)
        cases, events, nights = store.cases(), store.events(), store.nights()
    if changes is not None:
        log.info(
            "cases: %d opened, %d changed, %d events",
            changes.opened.height,
            changes.updated.height,
            changes.events.height,
        )
    frames = [
        tables[t]
        for t in ("deaths_to_deregister", "duplicate_funeral_benefits", "uninsured_eligible")
        if t in tables
    ]
    people = identities([*frames, linked["hukou"]], key, cases["person_key"])
    estimate = int(policy.monthly_pension_estimate * 100)
    pensions = roster() if (cases["kind"] == "advance").any() else roster_pensions({}, key)
    ledger = advance_ledger(cases, events, pensions, estimate)
    published, log_frame = warehouse_cases(cases, events, nights, people, ledger)
    log.info("案件 cases moved and framed in %.3f s", time.perf_counter() - started)
    return {"cases": published, "case_events": log_frame}
