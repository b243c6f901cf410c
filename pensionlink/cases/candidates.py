"""Tonight's findings as case candidates (案件线索): one row per person and kind of work.

Pure: the night's finding tables (with citizen IDs) become rows keyed by the pseudonymous
person key, with the evidence's fingerprint (SHA-1 of the reporting sources and the death
date: the same reports give the same fingerprint night after night, another source or a
later date gives another), and the rosters' facts that say why a case closes.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from collections.abc import Callable
from decimal import Decimal

import polars as pl

from pensionlink.cases.keys import PersonKeys, person_keys
from pensionlink.cases.lifecycle import CANDIDATE_SCHEMA, FACT_SCHEMA
from pensionlink.vocabulary import ACTIVE_STATUSES, RECEIVING, TERMINATED

__all__ = ["death_fingerprint", "night_candidates", "roster_facts"]


def _fen(amount: pl.Expr) -> pl.Expr:
    return (amount.cast(pl.Decimal(14, 2)) * 100).cast(pl.Int64)


def death_fingerprint(evidence: pl.Expr, death_date: pl.Expr) -> pl.Expr:
    """The evidence of a death: its sources (sorted) and the death date, hashed."""
    text = pl.concat_str(
        evidence.list.sort().list.join(","),
        death_date.cast(pl.String).fill_null("∅"),
        separator="|",
    )
    return text.map_elements(
        lambda t: hashlib.sha1(t.encode()).hexdigest()[:16], return_dtype=pl.String
    )


#: The funeral subsidy in force on a date (丧葬补助金标准); None where the policy has none.
SubsidyOn = Callable[[dt.date], Decimal | None]


def night_candidates(
    tables: dict[str, pl.DataFrame], key: bytes | PersonKeys, subsidy_on: SubsidyOn
) -> pl.DataFrame:
    """Deaths (confirmed or to verify), their funeral subsidy claims, duplicate or improper
    funeral subsidies to recover, and the uninsured eligible, as `CANDIDATE_SCHEMA` rows.
    `subsidy_on`: the funeral subsidy in force on a date (a claim's amount is the one in
    force on the date of death)."""
    parts = []
    deaths = tables.get("deaths_to_deregister")
    if deaths is not None and deaths.height:
        deaths = deaths.filter(pl.col("citizen_id").is_not_null())
        parts.append(
            deaths.select(
                kind=pl.lit("death"),
                basis=pl.lit("death"),
                person_key=person_keys(deaths["citizen_id"], key),
                fingerprint=death_fingerprint(pl.col("evidence"), pl.col("death_date")),
                state=pl.when(pl.col("decision") == "confirmed")
                .then(pl.lit("confirmed"))
                .otherwise(pl.lit("to_verify")),
                amount_due_fen=pl.lit(None, pl.Int64),
                to_recover_fen=_fen(pl.col("to_recover")).fill_null(0),
            )
        )
        parts.append(
            _subsidy_candidates(deaths, tables.get("duplicate_funeral_benefits"), key, subsidy_on)
        )
    funeral = tables.get("duplicate_funeral_benefits")
    if funeral is not None and funeral.height:
        funeral = funeral.filter(
            pl.col("citizen_id").is_not_null()
            & (pl.col("amount_to_recover") > 0)
            & (pl.col("decision").fill_null("") != "review")
        )
        parts.append(
            funeral.select(
                kind=pl.lit("recovery"),
                basis=pl.concat_str(pl.lit("funeral:"), pl.col("kind")),
                person_key=person_keys(funeral["citizen_id"], key),
                fingerprint=pl.col("amount_to_recover").cast(pl.String),
                state=pl.lit("outstanding"),
                amount_due_fen=_fen(pl.col("amount_to_recover")),
                to_recover_fen=pl.lit(None, pl.Int64),
            )
        )
    uninsured = tables.get("uninsured_eligible")
    if uninsured is not None and uninsured.height:
        uninsured = uninsured.filter(pl.col("citizen_id").is_not_null())
        parts.append(
            uninsured.select(
                kind=pl.lit("uninsured"),
                basis=pl.lit("uninsured"),
                person_key=person_keys(uninsured["citizen_id"], key),
                fingerprint=pl.lit("uninsured"),
                state=pl.lit("to_contact"),
                amount_due_fen=pl.lit(None, pl.Int64),
                to_recover_fen=pl.lit(None, pl.Int64),
            )
        )
    if not parts:
        return pl.DataFrame(schema=CANDIDATE_SCHEMA)
    frame = pl.concat(
        [p.cast({c: t for c, t in CANDIDATE_SCHEMA.items() if c in p.columns}) for p in parts],
        how="diagonal",
    ).select(list(CANDIDATE_SCHEMA))
    return frame.unique(["kind", "basis", "person_key"], keep="first", maintain_order=True)


#: What the night knows against a funeral subsidy claim (`duplicate_funeral_benefits` kinds).
_FUNERAL_FLAGS = {
    "ineligible_custody": "custody",
    "duplicate_other_scheme": "other_scheme",
    "duplicate_resident": "second_claim",
}


def _subsidy_candidates(
    deaths: pl.DataFrame,
    funeral: pl.DataFrame | None,
    key: bytes | PersonKeys,
    subsidy_on: SubsidyOn,
) -> pl.DataFrame:
    """A funeral subsidy claim (丧葬补助金申领) for each death of a person receiving a
    pension (待遇领取 on the roster or at death), whatever the eligibility: `outcome`
    carries what the night knew against it ('not_receiving' at death, 'custody',
    'other_scheme' grant or 抚恤金, 'second_claim'), comma-separated, or 'eligible'.
    The amount is the policy's in force on the date of death, whatever the eligibility (so
    a claim the city approves by override has one); null without a date of death or a value
    in force then (the payment is refused until it is known)."""
    receiving = deaths.filter(
        (pl.col("status_at_death") == RECEIVING) | (pl.col("roster_status") == RECEIVING)
    )
    flags = pl.DataFrame(schema={"citizen_id": pl.String, "flags": pl.List(pl.String)})
    if funeral is not None and funeral.height:
        flags = (
            funeral.filter(pl.col("kind").is_in(list(_FUNERAL_FLAGS)))
            .group_by("citizen_id")
            .agg(flags=pl.col("kind").replace_strict(_FUNERAL_FLAGS, return_dtype=pl.String))
        )
    joined = receiving.join(flags, on="citizen_id", how="left")
    reasons = (
        pl.concat_list(
            pl.when(pl.col("status_at_death").fill_null("") != RECEIVING)
            .then(pl.lit(["not_receiving"]))
            .otherwise(pl.lit([], pl.List(pl.String))),
            pl.col("flags").fill_null(pl.lit([], pl.List(pl.String))),
        )
        .list.unique()
        .list.sort()
    )
    return joined.select(
        kind=pl.lit("subsidy"),
        basis=pl.lit("subsidy"),
        person_key=person_keys(joined["citizen_id"], key),
        fingerprint=death_fingerprint(pl.col("evidence"), pl.col("death_date")),
        state=pl.lit("to_apply"),
        amount_due_fen=_subsidy_fen(joined["death_date"], subsidy_on),
        to_recover_fen=pl.lit(None, pl.Int64),
        outcome=pl.when(reasons.list.len() == 0)
        .then(pl.lit("eligible"))
        .otherwise(reasons.list.join(",")),
    )


def _subsidy_fen(death_dates: pl.Series, subsidy_on: SubsidyOn) -> pl.Series:
    """Each date of death's subsidy in fen (the policy read once per distinct date)."""
    on = functools.cache(subsidy_on)
    days = death_dates.cast(pl.Date).to_list()
    values = [None if d is None or on(d) is None else int(on(d) * 100) for d in days]
    return pl.Series("amount_due_fen", values, dtype=pl.Int64)


def roster_facts(linked: dict[str, pl.DataFrame], key: bytes | PersonKeys) -> pl.DataFrame:
    """Per person on a roster: deregistered (the residents' roster has the person 终止 and
    no active record) and enrolled (active on the residents' roster, or on the employees')."""
    roster = linked["resident_roster"].filter(pl.col("person_id").is_not_null())
    per = roster.group_by("person_id").agg(
        terminated=(pl.col("status") == TERMINATED).any(),
        active=pl.col("status").is_in(list(ACTIVE_STATUSES)).any(),
    )
    employees = linked.get("employee_roster")
    employed = (
        employees.filter(pl.col("person_id").is_not_null()).select("person_id").unique()
        if employees is not None and "person_id" in employees.columns
        else pl.DataFrame(schema={"person_id": pl.String})
    )
    facts = per.join(
        employed.with_columns(employed=pl.lit(True)), on="person_id", how="full", coalesce=True
    )
    return facts.select(
        person_key=person_keys(facts["person_id"], key),
        deregistered=(pl.col("terminated").fill_null(False) & ~pl.col("active").fill_null(False)),
        enrolled=(pl.col("active").fill_null(False) | pl.col("employed").fill_null(False)),
    ).cast(FACT_SCHEMA)
